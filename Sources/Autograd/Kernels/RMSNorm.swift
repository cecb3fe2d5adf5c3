/// RMSNorm as in transformers' DeepseekV3RMSNorm, computed in fp32:
/// y = x * rsqrt(mean(x^2) + eps) * weight.
extension Kernels {
    /// x, output [rows, dim]; weight [dim]; inverseRMS [rows] = rsqrt(mean(x^2) + eps), saved for backward.
    public static func rmsNormForward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, dim: Int,
                                      eps: Float, output: UnsafeMutablePointer<Float>,
                                      inverseRMS: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(rows, cost: dim * 3) { range in
            for r in range {
                let row = x + r * dim, out = output + r * dim
                var squares: Float = 0
                for c in 0..<dim { squares += row[c] * row[c] }
                let inverse = 1 / (squares / Float(dim) + eps).squareRoot()
                inverseRMS[r] = inverse
                for c in 0..<dim { out[c] = row[c] * inverse * weight[c] }
            }
        }
    }

    /// With r = inverseRMS[row] and g = outputGradient:
    /// dx += r * (g * w) - r^3 / dim * x * sum(g * w * x);   dw += sum over rows of g * x * r.
    /// x, outputGradient, inputGradient [rows, dim]; weight, weightGradient [dim]; inverseRMS [rows].
    /// weightGradient nil skips the weight gradient (frozen norm weight).
    public static func rmsNormBackward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                       inverseRMS: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                       rows: Int, dim: Int, inputGradient: UnsafeMutablePointer<Float>,
                                       weightGradient: UnsafeMutablePointer<Float>?) {
        Parallel.forEachChunk(rows, cost: dim * 4) { range in
            for r in range {
                let row = x + r * dim, g = outputGradient + r * dim, dx = inputGradient + r * dim
                let inverse = inverseRMS[r]
                var dot: Float = 0
                for c in 0..<dim { dot += g[c] * weight[c] * row[c] }
                let correction = inverse * inverse * inverse * dot / Float(dim)
                for c in 0..<dim { dx[c] += inverse * g[c] * weight[c] - correction * row[c] }
            }
        }
        guard let weightGradient else { return }
        // Rows would race on dw, so split the columns instead: each worker owns a column range
        // and walks all rows (deterministic, no partial buffers).
        Parallel.forEachChunk(dim, cost: rows * 2) { columns in
            for r in 0..<rows {
                let row = x + r * dim, g = outputGradient + r * dim
                let inverse = inverseRMS[r]
                for c in columns { weightGradient[c] += g[c] * row[c] * inverse }
            }
        }
    }
}
