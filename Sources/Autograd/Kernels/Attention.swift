import Foundation

/// Causal scaled-dot-product attention over a flattened token axis (batches and packed examples
/// are one axis of T tokens, told apart by segment ids). Flash-attention style: the forward saves
/// only the per-row log-sum-exp; the backward recomputes probabilities block by block, so scratch
/// stays at `queryBlock * T` floats per worker instead of H * T * T.
/// Legend: T tokens, H heads, Dq = qkDim, Dv = vDim, B = query block rows.
extension Kernels {
    /// Query rows processed per block; bounds the score scratch at B x T floats per worker.
    static let attentionQueryBlock = 64

    /// For each query block, the first key index any of its rows may attend to. Token i sees j <= i
    /// with segmentIds[j] == segmentIds[i]; the first occurrence of i's segment bounds j from below,
    /// so packed examples only pay for their own keys.
    static func attentionKeyStarts(tokens: Int, segmentIds: UnsafePointer<Int32>?) -> [Int] {
        let block = attentionQueryBlock
        let blockCount = (tokens + block - 1) / block
        guard let segmentIds else { return [Int](repeating: 0, count: blockCount) }
        var firstOccurrence: [Int32: Int] = [:]
        var starts = [Int](repeating: 0, count: blockCount)
        for b in 0..<blockCount {
            var start = Int.max
            for i in (b * block)..<Swift.min(tokens, (b + 1) * block) {
                let first = firstOccurrence[segmentIds[i]] ?? i
                if firstOccurrence[segmentIds[i]] == nil { firstOccurrence[segmentIds[i]] = i }
                start = Swift.min(start, first)
            }
            starts[b] = start
        }
        return starts
    }

    /// Runs `body(head)` for every head, split over the cores with OpenBLAS single-threaded inside
    /// (one head per worker at a time); a single head runs inline with BLAS's own threads.
    static func forEachHead(_ heads: Int, _ body: (Int) -> Void) {
        if heads <= 1 || Parallel.workerCount <= 1 {
            for h in 0..<heads { body(h) }
            return
        }
        BLAS.withSingleThread {
            Parallel.forEachChunk(heads, cost: Parallel.minimumWorkPerThread) { range in
                for h in range { body(h) }
            }
        }
    }

    /// Turns scores S [rows, n] (keys keyStart..<keyStart+n, queries queryStart..<queryStart+rows) into
    /// masked probabilities in place. With `logSumExp` nil it computes the row's log-sum-exp into
    /// `saveLogSumExp`; otherwise it uses the saved one (backward recompute).
    @inline(__always)
    static func attentionProbabilities(_ scores: UnsafeMutablePointer<Float>, rows: Int, n: Int,
                                       queryStart: Int, keyStart: Int, segmentIds: UnsafePointer<Int32>?,
                                       savedLogSumExp: UnsafePointer<Float>?,
                                       saveLogSumExp: UnsafeMutablePointer<Float>?) {
        for r in 0..<rows {
            let i = queryStart + r
            let row = scores + r * n
            let visible = i - keyStart + 1  // keys keyStart...i; later ones are masked by causality
            let segment = segmentIds?[i]
            @inline(__always) func allowed(_ c: Int) -> Bool {
                guard let segmentIds, let segment else { return true }
                return segmentIds[keyStart + c] == segment
            }
            if let savedLogSumExp {
                let lse = savedLogSumExp[r]
                for c in 0..<visible { row[c] = allowed(c) ? Foundation.exp(row[c] - lse) : 0 }
            } else {
                // One exp per score: store the shifted exponentials, then normalize.
                var maximum = -Float.infinity
                for c in 0..<visible where allowed(c) { maximum = Swift.max(maximum, row[c]) }
                var total: Float = 0
                for c in 0..<visible {
                    let e = allowed(c) ? Foundation.exp(row[c] - maximum) : 0
                    row[c] = e
                    total += e
                }
                saveLogSumExp![r] = maximum + Foundation.log(total)
                let inverse = 1 / total
                for c in 0..<visible { row[c] *= inverse }
            }
            if visible < n { (row + visible).update(repeating: 0, count: n - visible) }
        }
    }

    /// q, k [T, H, Dq]; v [T, H, Dv]; output [T, H, Dv] (overwritten); logSumExp [H, T] saved for
    /// backward. segmentIds [T] or nil (one segment). scale is usually 1/sqrt(Dq) times YaRN's mscale^2.
    public static func causalAttentionForward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                              tokens T: Int, heads H: Int, qkDim: Int, vDim: Int, scale: Float,
                                              segmentIds: UnsafePointer<Int32>?,
                                              output: UnsafeMutablePointer<Float>,
                                              logSumExp: UnsafeMutablePointer<Float>) {
        let B = attentionQueryBlock, Dq = qkDim, Dv = vDim
        let keyStarts = attentionKeyStarts(tokens: T, segmentIds: segmentIds)
        forEachHead(H) { h in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: B * Swift.max(T, 1))
            defer { scores.deallocate() }
            for (b, keyStart) in keyStarts.enumerated() {
                let i0 = b * B, rows = Swift.min(T, i0 + B) - i0, n = i0 + rows - keyStart
                // S [rows, n] = scale * Q_blk [rows, Dq] K_keys^T [Dq, n]
                BLAS.gemm(transposeB: true, m: rows, n: n, k: Dq, alpha: scale,
                          a: q + (i0 * H + h) * Dq, lda: H * Dq,
                          b: k + (keyStart * H + h) * Dq, ldb: H * Dq,
                          c: scores, ldc: n)
                attentionProbabilities(scores, rows: rows, n: n, queryStart: i0, keyStart: keyStart,
                                       segmentIds: segmentIds, savedLogSumExp: nil,
                                       saveLogSumExp: logSumExp + h * T + i0)
                // O_blk [rows, Dv] = P [rows, n] V_keys [n, Dv]
                BLAS.gemm(m: rows, n: Dv, k: n,
                          a: scores, lda: n, b: v + (keyStart * H + h) * Dv, ldb: H * Dv,
                          c: output + (i0 * H + h) * Dv, ldc: H * Dv)
            }
        }
    }

    /// Backward of `causalAttentionForward`; shapes as there, gradients shaped like their inputs and
    /// ACCUMULATED (nil skips one). With P recomputed from q, k, logSumExp and g = outputGradient:
    /// dV += P^T g; dP = g V^T; dS = P * (dP - rowsum(g * O)); dQ += scale dS K; dK += scale dS^T Q.
    public static func causalAttentionBackward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                               output: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
                                               outputGradient: UnsafePointer<Float>,
                                               tokens T: Int, heads H: Int, qkDim: Int, vDim: Int, scale: Float,
                                               segmentIds: UnsafePointer<Int32>?,
                                               qGradient: UnsafeMutablePointer<Float>?,
                                               kGradient: UnsafeMutablePointer<Float>?,
                                               vGradient: UnsafeMutablePointer<Float>?) {
        let B = attentionQueryBlock, Dq = qkDim, Dv = vDim
        let keyStarts = attentionKeyStarts(tokens: T, segmentIds: segmentIds)
        // Each head writes only its own columns of dQ, dK, dV, so heads run in parallel race-free.
        forEachHead(H) { h in
            let probabilities = UnsafeMutablePointer<Float>.allocate(capacity: B * Swift.max(T, 1))
            let scoreGradient = UnsafeMutablePointer<Float>.allocate(capacity: B * Swift.max(T, 1))
            var rowDot = [Float](repeating: 0, count: B)
            defer { probabilities.deallocate(); scoreGradient.deallocate() }
            for (b, keyStart) in keyStarts.enumerated() {
                let i0 = b * B, rows = Swift.min(T, i0 + B) - i0, n = i0 + rows - keyStart
                let qBlock = q + (i0 * H + h) * Dq, kKeys = k + (keyStart * H + h) * Dq
                let vKeys = v + (keyStart * H + h) * Dv, gBlock = outputGradient + (i0 * H + h) * Dv
                BLAS.gemm(transposeB: true, m: rows, n: n, k: Dq, alpha: scale,
                          a: qBlock, lda: H * Dq, b: kKeys, ldb: H * Dq, c: probabilities, ldc: n)
                attentionProbabilities(probabilities, rows: rows, n: n, queryStart: i0, keyStart: keyStart,
                                       segmentIds: segmentIds, savedLogSumExp: logSumExp + h * T + i0,
                                       saveLogSumExp: nil)
                if let vGradient {
                    // dV_keys [n, Dv] += P^T [n, rows] g_blk [rows, Dv]
                    BLAS.gemm(transposeA: true, m: n, n: Dv, k: rows, a: probabilities, lda: n,
                              b: gBlock, ldb: H * Dv, beta: 1, c: vGradient + (keyStart * H + h) * Dv, ldc: H * Dv)
                }
                guard qGradient != nil || kGradient != nil else { continue }
                // dP [rows, n] = g_blk [rows, Dv] V_keys^T [Dv, n]
                BLAS.gemm(transposeB: true, m: rows, n: n, k: Dv, a: gBlock, lda: H * Dv,
                          b: vKeys, ldb: H * Dv, c: scoreGradient, ldc: n)
                for r in 0..<rows {
                    let g = gBlock + r * H * Dv, o = output + ((i0 + r) * H + h) * Dv
                    var dot: Float = 0
                    for d in 0..<Dv { dot += g[d] * o[d] }
                    rowDot[r] = dot
                }
                for r in 0..<rows {
                    let p = probabilities + r * n, dp = scoreGradient + r * n, dot = rowDot[r]
                    for c in 0..<n { dp[c] = p[c] * (dp[c] - dot) }
                }
                if let qGradient {
                    // dQ_blk [rows, Dq] += scale * dS [rows, n] K_keys [n, Dq]
                    BLAS.gemm(m: rows, n: Dq, k: n, alpha: scale, a: scoreGradient, lda: n,
                              b: kKeys, ldb: H * Dq, beta: 1, c: qGradient + (i0 * H + h) * Dq, ldc: H * Dq)
                }
                if let kGradient {
                    // dK_keys [n, Dq] += scale * dS^T [n, rows] Q_blk [rows, Dq]
                    BLAS.gemm(transposeA: true, m: n, n: Dq, k: rows, alpha: scale, a: scoreGradient, lda: n,
                              b: qBlock, ldb: H * Dq, beta: 1, c: kGradient + (keyStart * H + h) * Dq, ldc: H * Dq)
                }
            }
        }
    }
}
