import Foundation

extension Kernels {
    /// Label value that contributes neither loss nor gradient (PyTorch's ignore_index default).
    public static let ignoreLabel: Int32 = -100

    /// Cross-entropy of logits [rows, vocabulary] against labels [rows] (ignoreLabel skipped).
    /// Returns the loss summed over counted rows (Double) and how many rows counted; the caller
    /// divides for the mean. When logitsGradient [rows, vocabulary] is given it is OVERWRITTEN with
    /// (softmax - onehot) * gradientScale, zero on ignored rows (pass 1/count for the mean loss).
    public static func crossEntropyForward(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                           rows: Int, vocabulary: Int,
                                           logitsGradient: UnsafeMutablePointer<Float>?,
                                           gradientScale: Float) -> (lossSum: Double, count: Int) {
        // Per-row losses are summed serially afterwards so the total does not depend on threading.
        let rowLoss = UnsafeMutableBufferPointer<Double>.allocate(capacity: Swift.max(rows, 1))
        defer { rowLoss.deallocate() }
        Parallel.forEachChunk(rows, cost: vocabulary * 3) { range in
            for r in range {
                let label = labels[r], row = logits + r * vocabulary
                if label == ignoreLabel {
                    rowLoss[r] = .nan
                    logitsGradient?.advanced(by: r * vocabulary).update(repeating: 0, count: vocabulary)
                    continue
                }
                precondition(label >= 0 && Int(label) < vocabulary,
                              "crossEntropy: label \(label) at row \(r) outside vocabulary \(vocabulary)")
                var maximum = -Float.infinity
                for c in 0..<vocabulary { maximum = Swift.max(maximum, row[c]) }
                var total = 0.0
                if let logitsGradient {
                    // One exp per logit: keep the shifted exponentials in the gradient row, then scale.
                    let g = logitsGradient + r * vocabulary
                    for c in 0..<vocabulary { let e = Foundation.exp(row[c] - maximum); g[c] = e; total += Double(e) }
                    let factor = gradientScale / Float(total)
                    for c in 0..<vocabulary { g[c] *= factor }
                    g[Int(label)] -= gradientScale
                } else {
                    for c in 0..<vocabulary { total += Double(Foundation.exp(row[c] - maximum)) }
                }
                rowLoss[r] = Foundation.log(total) + Double(maximum) - Double(row[Int(label)])
            }
        }
        var lossSum = 0.0, count = 0
        for r in 0..<rows where labels[r] != ignoreLabel { lossSum += rowLoss[r]; count += 1 }
        return (lossSum, count)
    }
}
