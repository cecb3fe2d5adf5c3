import Autograd
import Storage

/// W + Δ pushed through the INT4 quantizer: the one computation both `kimi-sft merge --format int4`
/// and merge-aware training use, so the trained forward and the merged checkpoint agree exactly.
///
/// W = deq(base) [out, in] in Float32, Δ = s B A, merged = Q(W + Δ) with the base's scale convention
/// and group size. Buffers are per call: one expert's worth of memory at a time.
public struct QuantizedMerge {
    /// deq(base) [out, in].
    public let base: Tensor
    /// s B A [out, in].
    public let delta: Tensor
    /// deq(Q(W + Δ)) [out, in]: what a loader of the merged checkpoint sees.
    public let merged: Tensor
    /// Q(W + Δ), ready to be written as weight_packed / weight_scale.
    public let packed: OwnedPackedInt4

    public init(base matrix: PackedInt4Matrix, adapter: LoRAAdapter, convention: Int4Quantizer.ScaleConvention) {
        precondition(adapter.outFeatures == matrix.rows && adapter.inFeatures == matrix.columns,
                     "adapter [\(adapter.outFeatures), \(adapter.inFeatures)] on INT4 weight [\(matrix.rows), \(matrix.columns)]")
        let rows = matrix.rows, columns = matrix.columns
        base = matrix.dequantized()
        delta = Tensor(shape: [rows, columns])
        adapter.addDelta(into: delta.pointer)
        merged = Tensor(shape: [rows, columns])
        let w = UnsafePointer(base.pointer), d = UnsafePointer(delta.pointer), m = merged.pointer
        Parallel.forEachChunk(rows * columns) { range in
            for i in range { m[i] = w[i] + d[i] }
        }
        packed = Int4Quantizer.quantize(m, rows: rows, columns: columns, groupSize: matrix.groupSize, convention: convention)
        packed.matrix.dequantize(rows: 0..<rows, into: m)
    }
}
