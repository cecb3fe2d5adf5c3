import Autograd
import Storage

/// Merge-aware LoRA on an INT4 expert (`lora_merge_aware: true`): the forward uses the delta the
/// INT4 merge will actually store, D = deq(Q(W + s B A)) - deq(W), computed by the same
/// `QuantizedMerge` (quantizer, scale convention, group size) as `kimi-sft merge --format int4`,
/// so the trained model and the merged checkpoint give the same outputs.
///
/// Backward is the straight-through estimator: the quantizer's derivative is taken as identity,
/// so dA and dB are plain LoRA's (dB += s dy^T (x A^T), dA += s (dy B)^T x), while dx uses the D
/// the forward applied (dx += dy D), the exact input gradient of that forward.
/// Adapter dropout is not applied here: a quantized delta acts on x as a whole matrix.
public final class MergeAwareQuantization: LoRADeltaTransform, @unchecked Sendable {
    /// The frozen base weight of the projection the adapter sits on.
    public let base: PackedInt4Matrix
    public let convention: Int4Quantizer.ScaleConvention

    public init(base: PackedInt4Matrix, convention: Int4Quantizer.ScaleConvention) {
        self.base = base
        self.convention = convention
    }

    /// D = deq(Q(W + s B A)) - deq(W) [out, in]. Recomputed per call: A and B change every step,
    /// and keeping D for every expert would cost the whole model in Float32.
    public func effectiveDelta(_ adapter: LoRAAdapter) -> Tensor {
        let merge = QuantizedMerge(base: base, adapter: adapter, convention: convention)
        let d = merge.merged.pointer, w = UnsafePointer(merge.base.pointer)
        Parallel.forEachChunk(merge.merged.count) { range in for i in range { d[i] -= w[i] } }
        return merge.merged
    }

    public func forward(_ adapter: LoRAAdapter, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let d = effectiveDelta(adapter)                                       // [out, in]
        BLAS.linear(x, rows: rows, inFeatures: adapter.inFeatures, weight: d.pointer, outFeatures: adapter.outFeatures,
                    into: y, accumulate: true)                                 // y += x D^T
    }

    public func backward(_ adapter: LoRAAdapter, _ x: UnsafePointer<Float>, rows: Int,
                         outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>) {
        let r = adapter.rank, inF = adapter.inFeatures, outF = adapter.outFeatures, s = adapter.scaling
        let h = Tensor(shape: [rows, r])                                       // h = x A^T [rows, r]
        BLAS.linear(x, rows: rows, inFeatures: inF, weight: adapter.a.pointer, outFeatures: r, into: h.pointer)
        // dB [out, r] += s * dy^T h
        BLAS.gemm(transposeA: true, transposeB: false, m: outF, n: r, k: rows,
                  alpha: s, a: dy, b: h.pointer, beta: 1, c: adapter.gradientB.pointer)
        // dh [rows, r] = s * dy B ; dA [r, in] += dh^T x
        let dh = Tensor(shape: [rows, r])
        BLAS.gemm(m: rows, n: r, k: outF, alpha: s, a: dy, b: adapter.b.pointer, beta: 0, c: dh.pointer)
        BLAS.gemm(transposeA: true, transposeB: false, m: r, n: inF, k: rows,
                  a: dh.pointer, b: x, beta: 1, c: adapter.gradientA.pointer)
        // dx [rows, in] += dy D
        let d = effectiveDelta(adapter)
        BLAS.gemm(m: rows, n: inF, k: outF, a: dy, b: d.pointer, beta: 1, c: dx)
    }
}
