import Autograd
import LoRA
import Storage

/// A reusable Float32 buffer that INT4 projections dequantize into, one expert matrix at a time,
/// so a layer's routed experts are never all expanded at once. One scratch is shared by every
/// projection of a model; the model runs projections one after another (parallelism lives inside
/// the dequantize loop and the GEMM), so sharing is safe.
public final class DequantizationScratch {
    private var buffer: UnsafeMutableBufferPointer<Float>

    public init() { buffer = .allocate(capacity: 1) }
    deinit { buffer.deallocate() }

    /// A buffer of at least `count` floats, grown (never shrunk) as needed; valid until the next call.
    func pointer(count: Int) -> UnsafeMutablePointer<Float> {
        if buffer.count < count {
            buffer.deallocate()
            buffer = .allocate(capacity: count)
        }
        return buffer.baseAddress!
    }
}

/// One frozen linear projection y = x W^T of the base model (W [out, in], PyTorch layout) with the
/// slot where a LoRA adapter plugs in. The base never gets a weight gradient: backward computes
/// only dx = dy W, then lets the adapter accumulate its own gradients and add its part of dx.
public final class FrozenProjection {
    /// How the frozen weight is held: Float32 (converted from BF16 at load) or packed INT4,
    /// dequantized per call into the model's shared scratch.
    public enum Base {
        case dense(Tensor)
        case int4(PackedInt4Matrix)
    }

    public let inFeatures: Int
    public let outFeatures: Int
    public let base: Base
    public var adapter: (any ProjectionAdapter)?
    private let scratch: DequantizationScratch

    public init(base: Base, scratch: DequantizationScratch) {
        switch base {
        case .dense(let w):
            precondition(w.rank == 2, "projection weight must be 2-D, got \(w.shape)")
            outFeatures = w.shape[0]; inFeatures = w.shape[1]
        case .int4(let m):
            outFeatures = m.rows; inFeatures = m.columns
        }
        self.base = base
        self.scratch = scratch
    }

    public var isQuantized: Bool { if case .int4 = base { return true }; return false }

    /// The Float32 weight [out, in]: the stored tensor, or the INT4 matrix dequantized into scratch
    /// (valid until the next projection call).
    private func weightPointer() -> UnsafePointer<Float> {
        switch base {
        case .dense(let w):
            return UnsafePointer(w.pointer)
        case .int4(let m):
            let p = scratch.pointer(count: m.rows * m.columns)
            m.dequantize(rows: 0..<m.rows, into: p)
            return UnsafePointer(p)
        }
    }

    /// y [rows, out] = x [rows, in] W^T (+ adapter(x)); `accumulate` adds into y.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        let w = weightPointer()
        BLAS.linear(x, rows: rows, inFeatures: inFeatures, weight: w, outFeatures: outFeatures, into: y, accumulate: accumulate)
        adapter?.forward(x, rows: rows, into: y)
    }

    /// dx [rows, in] += dy [rows, out] W; the adapter (given the forward input x) accumulates its
    /// parameter gradients and adds its part of dx. No weight-gradient GEMM for the frozen base.
    public func backward(_ x: UnsafePointer<Float>, rows: Int, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>) {
        let w = weightPointer()
        BLAS.gemm(m: rows, n: inFeatures, k: outFeatures, a: dy, b: w, beta: 1, c: dx)
        adapter?.backward(x, rows: rows, outputGradient: dy, inputGradient: dx)
    }
}
