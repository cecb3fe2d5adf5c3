import Foundation
import Testing
import TestSupport
@testable import Autograd

/// Shapes large enough that the kernels split work over the cores; results must match Double
/// references computed serially (the small finite-difference tests run on one thread).
@Suite struct ParallelKernelTests {
    @Test func rmsNormAndSoftmaxOnManyRows() {
        let rows = 96, dim = 200
        let x = GradientCheck.random(rows * dim, seed: 100, scale: 2), w = GradientCheck.random(dim, seed: 101)
        let g = GradientCheck.random(rows * dim, seed: 102)
        var out = [Float](repeating: 0, count: rows * dim), inv = [Float](repeating: 0, count: rows)
        Kernels.rmsNormForward(x, weight: w, rows: rows, dim: dim, eps: 1e-6, output: &out, inverseRMS: &inv)
        var dx = [Float](repeating: 0, count: rows * dim), dw = [Float](repeating: 0, count: dim)
        Kernels.rmsNormBackward(x, weight: w, inverseRMS: inv, outputGradient: g, rows: rows, dim: dim,
                                inputGradient: &dx, weightGradient: &dw)
        var expectedOut = [Double](), expectedDx = [Double](), expectedDw = [Double](repeating: 0, count: dim)
        for r in 0..<rows {
            let xs = (0..<dim).map { Double(x[r * dim + $0]) }, gs = (0..<dim).map { Double(g[r * dim + $0]) }
            let inverse = 1 / (xs.reduce(0) { $0 + $1 * $1 } / Double(dim) + 1e-6).squareRoot()
            var dot = 0.0
            for c in 0..<dim { dot += gs[c] * Double(w[c]) * xs[c] }
            for c in 0..<dim {
                expectedOut.append(xs[c] * inverse * Double(w[c]))
                expectedDx.append(inverse * gs[c] * Double(w[c]) - inverse * inverse * inverse * dot / Double(dim) * xs[c])
                expectedDw[c] += gs[c] * xs[c] * inverse
            }
        }
        for (name, actual, expected) in [("out", out, expectedOut), ("dx", dx, expectedDx), ("dw", dw, expectedDw)] {
            let check = closeness(actual, expected, absolute: 1e-4, relative: 1e-4)
            #expect(check.passes, "\(name): \(check)")
        }

        var probabilities = [Float](repeating: 0, count: rows * dim)
        Kernels.softmaxRowsForward(x, rows: rows, columns: dim, output: &probabilities)
        var expectedProbabilities = [Double]()
        for r in 0..<rows {
            let xs = (0..<dim).map { Double(x[r * dim + $0]) }
            let total = xs.reduce(0) { $0 + exp($1) }
            expectedProbabilities += xs.map { exp($0) / total }
        }
        let check = closeness(probabilities, expectedProbabilities, absolute: 1e-7, relative: 1e-4)
        #expect(check.passes, "softmax: \(check)")
    }

    @Test func crossEntropyOnManyRows() {
        let rows = 64, vocabulary = 500
        let logits = GradientCheck.random(rows * vocabulary, seed: 110, scale: 5)
        let labels: [Int32] = (0..<rows).map { $0 % 7 == 0 ? Kernels.ignoreLabel : Int32(($0 * 37) % vocabulary) }
        var gradient = [Float](repeating: 0, count: rows * vocabulary)
        let (lossSum, count) = Kernels.crossEntropyForward(logits: logits, labels: labels, rows: rows, vocabulary: vocabulary,
                                                           logitsGradient: &gradient, gradientScale: 0.5)
        var expectedLoss = 0.0, expectedGradient = [Double](repeating: 0, count: rows * vocabulary)
        for r in 0..<rows where labels[r] != Kernels.ignoreLabel {
            let row = (0..<vocabulary).map { Double(logits[r * vocabulary + $0]) }
            let total = row.reduce(0) { $0 + exp($1) }
            expectedLoss += log(total) - row[Int(labels[r])]
            for c in 0..<vocabulary { expectedGradient[r * vocabulary + c] = 0.5 * (exp(row[c]) / total - (c == Int(labels[r]) ? 1 : 0)) }
        }
        #expect(count == labels.filter { $0 != Kernels.ignoreLabel }.count)
        let lossCheck = closeness([lossSum], [expectedLoss], absolute: 1e-4, relative: 1e-6)
        #expect(lossCheck.passes, "loss: \(lossCheck)")
        let check = closeness(gradient, expectedGradient, absolute: 1e-7, relative: 1e-4)
        #expect(check.passes, "gradient: \(check)")
    }
}
