import Foundation

/// Row-wise softmax over the last dimension.
extension Kernels {
    /// output[r, :] = softmax(x[r, :]). x, output [rows, columns]; max-subtracted for stability.
    public static func softmaxRowsForward(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                                          output: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(rows, cost: columns * 4) { range in
            for r in range {
                let row = x + r * columns, out = output + r * columns
                var maximum = -Float.infinity
                for c in 0..<columns { maximum = Swift.max(maximum, row[c]) }
                var total: Float = 0
                for c in 0..<columns { let e = Foundation.exp(row[c] - maximum); out[c] = e; total += e }
                let inverse = 1 / total
                for c in 0..<columns { out[c] *= inverse }
            }
        }
    }

    /// inputGradient += y * (g - sum(g * y)) per row, from the saved output y. All [rows, columns].
    public static func softmaxRowsBackward(output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                           rows: Int, columns: Int, inputGradient: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(rows, cost: columns * 2) { range in
            for r in range {
                let y = output + r * columns, g = outputGradient + r * columns, dx = inputGradient + r * columns
                var dot: Float = 0
                for c in 0..<columns { dot += g[c] * y[c] }
                for c in 0..<columns { dx[c] += y[c] * (g[c] - dot) }
            }
        }
    }
}
