import Autograd

/// A zero-copy view of one tensor inside a memory-mapped safetensors file: its dtype, shape and
/// raw little-endian bytes. `owner` keeps the mapping alive while the view is in use.
public struct TensorView: @unchecked Sendable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// The tensor's bytes (`elementCount * dtype.size` of them), possibly not aligned to the
    /// element size: safetensors does not promise alignment, so readers use unaligned loads.
    public let bytes: UnsafeRawBufferPointer
    /// The file the view points into (for error messages).
    public let file: String
    public let owner: AnyObject?

    public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: UnsafeRawBufferPointer,
                file: String, owner: AnyObject?) {
        self.name = name; self.dtype = dtype; self.shape = shape; self.bytes = bytes
        self.file = file; self.owner = owner
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// Whether `floats()` can convert this dtype (BF16, F16, F32).
    public var isFloatingPoint: Bool { [.bfloat16, .float16, .float32].contains(dtype) }

    /// Converts BF16/F16/F32 elements to Float32 into `destination` (`elementCount` floats).
    public func copyFloats(into destination: UnsafeMutablePointer<Float>) throws {
        let n = elementCount
        guard n > 0, let source = bytes.baseAddress else { return }
        switch dtype {
        case .float32:
            // Little-endian on disk and on every platform Swift targets here: a plain copy.
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: n * 4)
        case .bfloat16:
            Parallel.forEachChunk(n) { range in
                for i in range {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    destination[i] = BFloat16.toFloat(bits)
                }
            }
        case .float16:
            Parallel.forEachChunk(n) { range in
                for i in range {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    destination[i] = Float(Float16(bitPattern: bits))
                }
            }
        default:
            throw CheckpointError.unexpectedTensor(file: file, tensor: name,
                                                   reason: "dtype \(dtype.rawValue) is not BF16, F16 or F32")
        }
    }

    /// A new Float32 tensor with this view's shape (BF16, F16, F32 only).
    public func floats() throws -> Tensor {
        let t = Tensor(shape: shape)
        try copyFloats(into: t.pointer)
        return t
    }

    /// Elements of an I32 tensor as Swift integers (small tensors such as `weight_shape`).
    public func int32Values() throws -> [Int32] {
        guard dtype == .int32 else {
            throw CheckpointError.unexpectedTensor(file: file, tensor: name, reason: "dtype \(dtype.rawValue), expected I32")
        }
        guard let source = bytes.baseAddress else { return [] }
        return (0..<elementCount).map { Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
    }
}
