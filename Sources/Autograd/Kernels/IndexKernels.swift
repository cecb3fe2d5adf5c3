/// Row gather and scatter-add by index: embedding lookup and MoE token routing.
extension Kernels {
    /// output[i, :] = source[indices[i], :]. source [sourceRows, columns], indices [count],
    /// output [count, columns]. Indices must be in range (checked by the caller that builds them).
    public static func gatherRows(_ source: UnsafePointer<Float>, columns: Int, indices: UnsafePointer<Int32>,
                                  count: Int, output: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count, cost: columns) { range in
            for i in range {
                precondition(indices[i] >= 0, "gatherRows: negative index \(indices[i]) at \(i)")
                (output + i * columns).update(from: source + Int(indices[i]) * columns, count: columns)
            }
        }
    }

    /// output[indices[i], :] += weights[i] * source[i, :] (weights nil means 1). source [count, columns],
    /// indices, weights [count], output [outputRows, columns]. Indices may repeat: the work is split
    /// by column range, so no two workers ever touch the same element, and the result does not
    /// depend on the worker count.
    public static func scatterAddRows(_ source: UnsafePointer<Float>, columns: Int, indices: UnsafePointer<Int32>,
                                      count: Int, weights: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(columns, cost: count) { columnRange in
            for i in 0..<count {
                precondition(indices[i] >= 0, "scatterAddRows: negative index \(indices[i]) at \(i)")
                let from = source + i * columns, to = output + Int(indices[i]) * columns
                let w = weights?[i] ?? 1
                for c in columnRange { to[c] += w * from[c] }
            }
        }
    }

    /// weightGradient[i] += dot(outputGradient[indices[i], :], source[i, :]): the gradient of
    /// `scatterAddRows` with respect to its weights (MoE routing weights). source [count, columns].
    public static func scatterAddRowsWeightGradient(_ source: UnsafePointer<Float>, columns: Int,
                                                    indices: UnsafePointer<Int32>, count: Int,
                                                    outputGradient: UnsafePointer<Float>,
                                                    weightGradient: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count, cost: columns) { range in
            for i in range {
                let from = source + i * columns, g = outputGradient + Int(indices[i]) * columns
                var dot: Float = 0
                for c in 0..<columns { dot += g[c] * from[c] }
                weightGradient[i] += dot
            }
        }
    }
}
