import Autograd
import Storage

/// Reads the model's tensors from a `WeightStore`, checking each one against the shape the config
/// implies, so a checkpoint that disagrees with its config.json fails with the tensor's name.
struct WeightLoader {
    let store: any WeightStore
    let scratch: DequantizationScratch
    var residency: DenseWeightResidency = .float32

    func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard store.contains(name) else { throw ModelError.missingTensor(name) }
        let actual = try store.shape(of: name)
        guard actual == shape else { throw ModelError.shapeMismatch(tensor: name, expected: shape, actual: actual) }
        let t = try store.floats(name)
        guard t.shape == shape else { throw ModelError.shapeMismatch(tensor: name, expected: shape, actual: t.shape) }
        return t
    }

    /// `module.weight` [out, in], or `module.weight_packed` (INT4) when the checkpoint has it.
    func projection(_ module: String, out: Int, in inFeatures: Int) throws -> FrozenProjection {
        if let packed = try store.packedInt4(module: module) {
            guard packed.rows == out, packed.columns == inFeatures else {
                throw ModelError.shapeMismatch(tensor: module + ".weight_packed (unpacked)", expected: [out, inFeatures],
                                               actual: [packed.rows, packed.columns])
            }
            return FrozenProjection(base: .int4(packed), scratch: scratch)
        }
        let name = module + ".weight"
        if residency == .mappedBF16, let view = try mappedView(name, shape: [out, inFeatures]) {
            return FrozenProjection(base: .bfloat16(view), scratch: scratch)
        }
        return FrozenProjection(base: .dense(try tensor(name, shape: [out, inFeatures])), scratch: scratch)
    }

    /// The BF16 view of `name` after the same existence and shape checks as `tensor`, or nil when the
    /// store cannot map it (in-memory stores, F32/FP8 tensors), in which case the caller expands it.
    func mappedView(_ name: String, shape: [Int]) throws -> TensorView? {
        guard store.contains(name) else { throw ModelError.missingTensor(name) }
        let actual = try store.shape(of: name)
        guard actual == shape else { throw ModelError.shapeMismatch(tensor: name, expected: shape, actual: actual) }
        return try store.bfloat16View(name)
    }

    func norm(_ name: String, dim: Int, eps: Float) throws -> RMSNormWeight {
        RMSNormWeight(weight: try tensor(name, shape: [dim]), eps: eps)
    }

}
