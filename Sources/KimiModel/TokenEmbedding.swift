import Autograd
import Storage

/// The [V, C] token embedding table: Float32 in memory, or BF16 left in the mapped shard (the
/// `mappedBF16` residency), where a lookup converts only the rows a batch uses.
public enum TokenEmbedding {
    case float32(Tensor)
    case bfloat16(TensorView)

    /// x [T, C] = table[ids[t]] for each of `count` ids.
    func gather(_ ids: UnsafePointer<Int32>, count: Int, columns C: Int, into x: UnsafeMutablePointer<Float>) {
        switch self {
        case .float32(let table):
            Kernels.gatherRows(table.pointer, columns: C, indices: ids, count: count, output: x)
        case .bfloat16(let view):
            guard let base = view.bytes.baseAddress else { return }
            Parallel.forEachChunk(count, cost: C) { range in
                for t in range {
                    let row = base + Int(ids[t]) * C * 2
                    let out = x + t * C
                    for c in 0..<C {
                        out[c] = BFloat16.toFloat(UInt16(littleEndian: row.loadUnaligned(fromByteOffset: 2 * c, as: UInt16.self)))
                    }
                }
            }
        }
    }

    /// The same table as a projection base, for tied lm_head weights.
    var projectionBase: FrozenProjection.Base {
        switch self {
        case .float32(let t): return .dense(t)
        case .bfloat16(let v): return .bfloat16(v)
        }
    }
}
