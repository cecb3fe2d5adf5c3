import Foundation
import Testing
import TestSupport
@testable import Autograd

@Suite struct CrossEntropyKernelTests {
    @Test(arguments: [(1, 1), (3, 2), (7, 9)])
    func lossAndGradientMatchReferenceWithIgnoredRows(rows: Int, vocabulary: Int) {
        // Large logits check the max-subtraction: exp(80) alone overflows Float.
        let logits = GradientCheck.random(rows * vocabulary, seed: 60, scale: 4).enumerated().map { $0.offset % 5 == 0 ? $0.element + 80 : $0.element }
        let labels: [Int32] = (0..<rows).map { $0 % 3 == 1 ? Kernels.ignoreLabel : Int32(($0 * 5) % vocabulary) }
        var expectedLoss = 0.0, expectedCount = 0
        for r in 0..<rows where labels[r] != Kernels.ignoreLabel {
            let row = logits[(r * vocabulary)..<((r + 1) * vocabulary)].map(Double.init)
            let maximum = row.max()!
            expectedLoss += log(row.reduce(0) { $0 + exp($1 - maximum) }) + maximum - row[Int(labels[r])]
            expectedCount += 1
        }
        var gradient = [Float](repeating: 7, count: logits.count)  // overwritten, not accumulated
        let scale = expectedCount > 0 ? 1 / Float(expectedCount) : 0
        let (lossSum, count) = Kernels.crossEntropyForward(logits: logits, labels: labels, rows: rows, vocabulary: vocabulary,
                                                           logitsGradient: &gradient, gradientScale: scale)
        #expect(count == expectedCount)
        let lossCheck = closeness([lossSum], [expectedLoss], absolute: 1e-5, relative: 1e-5)
        #expect(lossCheck.passes, "loss: \(lossCheck)")
        let numerical = GradientCheck.numerical(logits) {
            Kernels.crossEntropyForward(logits: $0, labels: labels, rows: rows, vocabulary: vocabulary,
                                        logitsGradient: nil, gradientScale: 0).lossSum * Double(scale)
        }
        let check = closeness(gradient, numerical, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        #expect(check.passes, "gradient: \(check)")
    }
}

@Suite struct IndexKernelTests {
    @Test(arguments: [(1, 1), (7, 3), (300, 64)])
    func gatherAndScatterAddMatchSerialReference(count: Int, columns: Int) {
        let sourceRows = 5
        let table = GradientCheck.random(sourceRows * columns, seed: 70)
        let indices: [Int32] = (0..<count).map { Int32(($0 * 3) % sourceRows) }  // repeats
        var gathered = [Float](repeating: 0, count: count * columns)
        Kernels.gatherRows(table, columns: columns, indices: indices, count: count, output: &gathered)
        var expectedGather = [Float]()
        for i in indices { expectedGather += table[(Int(i) * columns)..<((Int(i) + 1) * columns)] }
        #expect(gathered == expectedGather)

        let source = GradientCheck.random(count * columns, seed: 71), weights = GradientCheck.random(count, seed: 72)
        var output = [Float](repeating: 0.5, count: sourceRows * columns)
        Kernels.scatterAddRows(source, columns: columns, indices: indices, count: count, weights: weights, output: &output)
        var expected = [Double](repeating: 0.5, count: sourceRows * columns)
        for i in 0..<count { for c in 0..<columns {
            expected[Int(indices[i]) * columns + c] += Double(weights[i]) * Double(source[i * columns + c])
        } }
        let check = closeness(output, expected, absolute: 1e-5, relative: 1e-5)
        #expect(check.passes, "\(check)")
    }

    @Test func scatterAddGradientsMatchFiniteDifferences() {
        let count = 7, columns = 3, outputRows = 4
        let indices: [Int32] = [0, 3, 3, 1, 0, 2, 3]
        let source = GradientCheck.random(count * columns, seed: 80), weights = GradientCheck.random(count, seed: 81)
        let r = GradientCheck.random(outputRows * columns, seed: 82)
        func forward(_ source: [Float], _ weights: [Float]) -> [Float] {
            var output = [Float](repeating: 0, count: outputRows * columns)
            Kernels.scatterAddRows(source, columns: columns, indices: indices, count: count, weights: weights, output: &output)
            return output
        }
        // d source = weights * gather(outputGradient); d weights from the dedicated kernel.
        var dSource = [Float](repeating: 0, count: count * columns)
        Kernels.gatherRows(r, columns: columns, indices: indices, count: count, output: &dSource)
        for i in 0..<count { for c in 0..<columns { dSource[i * columns + c] *= weights[i] } }
        var dWeights = [Float](repeating: 0, count: count)
        Kernels.scatterAddRowsWeightGradient(source, columns: columns, indices: indices, count: count,
                                             outputGradient: r, weightGradient: &dWeights)
        let expectedSource = GradientCheck.numerical(source) { GradientCheck.dot(forward($0, weights), r) }
        let expectedWeights = GradientCheck.numerical(weights) { GradientCheck.dot(forward(source, $0), r) }
        let checkSource = closeness(dSource, expectedSource, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        let checkWeights = closeness(dWeights, expectedWeights, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        #expect(checkSource.passes, "source: \(checkSource)")
        #expect(checkWeights.passes, "weights: \(checkWeights)")
    }
}

@Suite struct StridedGemmTests {
    @Test(arguments: [false, true], [false, true])
    func stridedGemmMatchesReferenceOnSubmatrices(transposeA: Bool, transposeB: Bool) {
        // A, B, C are column windows of wider buffers (row strides 11, 13, 9).
        let m = 3, n = 4, k = 5, lda = 11, ldb = 13, ldc = 9
        let a = GradientCheck.random((transposeA ? k : m) * lda, seed: 90)
        let b = GradientCheck.random((transposeB ? n : k) * ldb, seed: 91)
        var c = [Float](repeating: 2, count: m * ldc)
        BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                  a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: &c, ldc: ldc)
        var expected = [Double](repeating: 2, count: m * ldc)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                s += Double(transposeA ? a[p * lda + i] : a[i * lda + p]) * Double(transposeB ? b[j * ldb + p] : b[p * ldb + j])
            }
            expected[i * ldc + j] += 0.5 * s
        } }
        let check = closeness(c, expected, absolute: 1e-5, relative: 1e-5)
        #expect(check.passes, "\(check)")
    }
}
