import Autograd

/// Read access to a checkpoint's tensors by their full names (prefix included), whatever the
/// storage: memory-mapped safetensors shards, or tensors held in memory by tests.
/// The model asks for one tensor at a time so a 600 GB base never has to be resident at once.
public protocol WeightStore: Sendable {
    func contains(_ name: String) -> Bool
    /// The stored shape (for INT4 modules, the shape of `weight_packed`).
    func shape(of name: String) throws -> [Int]
    /// A Float32 copy of a BF16, F16, F32 (or FP8 block-scaled, dequantized) tensor.
    func floats(_ name: String) throws -> Tensor
    /// The INT4 pack-quantized weight of a module (`module` without `.weight_packed`), or nil when
    /// that module is stored unquantized. Decided per tensor by whether `weight_packed` exists.
    func packedInt4(module: String) throws -> PackedInt4Matrix?
    /// A zero-copy view of a BF16 tensor when the store can give one (memory-mapped shards), so
    /// dense weights can stay BF16 in the page cache instead of being expanded to Float32 at load.
    func bfloat16View(_ name: String) throws -> TensorView?
}

extension WeightStore {
    public func bfloat16View(_ name: String) throws -> TensorView? { nil }
}
