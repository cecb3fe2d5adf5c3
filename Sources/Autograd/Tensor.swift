import Foundation

/// A contiguous, row-major Float32 tensor that owns its buffer.
///
/// A reference type so that activations, weights and gradients can be shared between the tape,
/// the optimizer and the model without copies; the buffer is allocated once and freed on deinit.
/// Marked `@unchecked Sendable` because kernels split one tensor's rows across threads: callers
/// guarantee disjoint writes (every parallel kernel in this module does).
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: [Int]
    public let count: Int
    public let data: UnsafeMutableBufferPointer<Float>

    /// A zero-filled tensor.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.data = UnsafeMutableBufferPointer<Float>.allocate(capacity: Swift.max(count, 1))
        data.initialize(repeating: 0)
    }

    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "values.count \(values.count) != shape \(shape) count \(count)")
        _ = UnsafeMutableBufferPointer(rebasing: data[0..<count]).initialize(from: values)
    }

    public convenience init(shape: [Int], repeating value: Float) {
        self.init(shape: shape)
        data.update(repeating: value)
    }

    /// A tensor filled by `body(i)` for each flat index.
    public convenience init(shape: [Int], generator body: (Int) -> Float) {
        self.init(shape: shape)
        for i in 0..<count { data[i] = body(i) }
    }

    deinit { data.deallocate() }

    public static func zeros(_ shape: Int...) -> Tensor { Tensor(shape: shape) }

    public var rank: Int { shape.count }
    public var array: [Float] { Array(data[0..<count]) }
    /// Pointer to the first element (valid for the tensor's lifetime).
    public var pointer: UnsafeMutablePointer<Float> { data.baseAddress! }

    /// Rows and columns when the tensor is viewed as a matrix over its last dimension.
    public var rows: Int { shape.count <= 1 ? 1 : count / shape[shape.count - 1] }
    public var columns: Int { shape.last ?? 1 }

    public func copy() -> Tensor {
        let result = Tensor(shape: shape)
        result.pointer.update(from: pointer, count: count)
        return result
    }

    /// Same data, new shape (a copy; tensors are always contiguous and own their memory).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        let result = Tensor(shape: newShape)
        result.pointer.update(from: pointer, count: count)
        return result
    }

    public func fill(_ value: Float) { data.update(repeating: value) }

    public subscript(flat index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    public var description: String {
        let preview = array.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}
