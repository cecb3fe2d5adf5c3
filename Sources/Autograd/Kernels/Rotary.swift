/// How the rotary dimensions pair up. DeepseekV3/Kimi use `interleaved` for the MLA rope part.
/// transformers' `apply_rotary_pos_emb_interleave` returns that result de-interleaved
/// ([rotated evens, rotated odds]); this kernel keeps the interleaved order. q and k get the same
/// permutation, so q.k scores and the attention output are identical (TorchGoldenTests checks both).
public enum RotaryLayout: Sendable, Equatable {
    /// Pairs (x[2i], x[2i+1]) rotate by angle i.
    case interleaved
    /// Pairs (x[i], x[i + ropeDim/2]) rotate by angle i (transformers' rotate_half).
    case halfSplit
}

extension Kernels {
    /// Rotates, in place, the `ropeDim` values at x[t*tokenStride + h*headStride + offset ...] for each
    /// token t < tokens and head h < heads by the angles of row positions[t] of cos/sin
    /// [maxPositions, ropeDim/2]. The tables may carry a scale s (YaRN's attention factor), making
    /// the map s * R(angle). `inverse: true` applies the TRANSPOSE, s * R(-angle), which is exactly
    /// the backward of the forward map whatever s is (for s = 1 it is also the inverse rotation).
    public static func applyRotary(_ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int,
                                   tokenStride: Int, headStride: Int, offset: Int, ropeDim: Int,
                                   positions: UnsafePointer<Int32>, cos: UnsafePointer<Float>,
                                   sin: UnsafePointer<Float>, layout: RotaryLayout, inverse: Bool) {
        precondition(ropeDim % 2 == 0, "applyRotary: ropeDim \(ropeDim) must be even")
        let half = ropeDim / 2
        let sign: Float = inverse ? -1 : 1
        // Interleaved pairs sit 1 apart and advance by 2; half-split pairs sit half apart and advance by 1.
        let (partnerOffset, step) = layout == .interleaved ? (1, 2) : (half, 1)
        Parallel.forEachChunk(tokens, cost: heads * ropeDim * 2) { range in
            for t in range {
                let angleRow = Int(positions[t]) * half
                let c = cos + angleRow, s = sin + angleRow
                for h in 0..<heads {
                    let base = x + t * tokenStride + h * headStride + offset
                    for i in 0..<half {
                        let a = base + i * step, b = a + partnerOffset
                        let x0 = a.pointee, x1 = b.pointee
                        let ci = c[i], si = sign * s[i]
                        a.pointee = x0 * ci - x1 * si
                        b.pointee = x0 * si + x1 * ci
                    }
                }
            }
        }
    }
}
