import Foundation
import Testing
import TestSupport
@testable import Autograd

/// Every tape op's backward against finite differences, over awkward shapes.
@Suite struct OpGradientTests {
    static let sizes = [1, 2, 3, 7, 8, 9]

    @Test(arguments: sizes)
    func linearAndMatmul(size: Int) {
        let rows = size, inFeatures = (size % 4) + 2, outFeatures = size
        checkOpGradients("linear", inputs: [randomTensor([rows, inFeatures], seed: 1), randomTensor([outFeatures, inFeatures], seed: 2)]) {
            $0.linear($1[0], weight: $1[1])
        }
        // 3-D input: leading dimensions are flattened into rows.
        checkOpGradients("linear 3-D", inputs: [randomTensor([2, rows, inFeatures], seed: 3), randomTensor([outFeatures, inFeatures], seed: 4)]) {
            $0.linear($1[0], weight: $1[1])
        }
        checkOpGradients("matmul", inputs: [randomTensor([rows, inFeatures], seed: 5), randomTensor([inFeatures, outFeatures], seed: 6)]) {
            $0.matmul($1[0], $1[1])
        }
    }

    @Test(arguments: sizes)
    func elementwiseAndReductions(size: Int) {
        let shape = [size, (size % 3) + 1]
        let a = randomTensor(shape, seed: 10), b = randomTensor(shape, seed: 11), row = randomTensor([shape[1]], seed: 12)
        checkOpGradients("add", inputs: [a, b]) { $0.add($1[0], $1[1]) }
        checkOpGradients("add broadcast", inputs: [a, row]) { $0.add($1[0], $1[1]) }
        checkOpGradients("multiply", inputs: [a, b]) { $0.multiply($1[0], $1[1]) }
        checkOpGradients("scale", inputs: [a]) { $0.scale($1[0], by: -1.5) }
        checkOpGradients("sum", inputs: [a]) { $0.sum($1[0]) }
        checkOpGradients("mean", inputs: [a]) { $0.mean($1[0]) }
        // A variable used twice accumulates both contributions: d(x*x)/dx = 2x.
        checkOpGradients("multiply self", inputs: [a]) { $0.multiply($1[0], $1[0]) }
    }

    @Test(arguments: sizes)
    func shapeOps(size: Int) {
        let x = randomTensor([size, 3, 2], seed: 20)
        checkOpGradients("reshape", inputs: [x]) { $0.reshape($1[0], [3, size * 2]) }
        checkOpGradients("transpose", inputs: [x]) { $0.transpose($1[0]) }
        checkOpGradients("slice axis 0", inputs: [x]) { $0.slice($1[0], axis: 0, (size / 2)..<size) }
        checkOpGradients("slice axis 1", inputs: [x]) { $0.slice($1[0], axis: 1, 1..<3) }
        checkOpGradients("slice axis 2", inputs: [x]) { $0.slice($1[0], axis: 2, 0..<1) }
        let y = randomTensor([size, 1, 2], seed: 21)
        checkOpGradients("concat", inputs: [x, y, x]) { $0.concat([$1[0], $1[1], $1[2]], axis: 1) }
    }

    @Test(arguments: sizes)
    func activationsAndNormalization(size: Int) {
        let x = randomTensor([size, (size % 5) + 1], seed: 30, scale: 3), up = randomTensor([size, (size % 5) + 1], seed: 31)
        let weight = randomTensor([(size % 5) + 1], seed: 32)
        checkOpGradients("silu", inputs: [x]) { $0.silu($1[0]) }
        checkOpGradients("sigmoid", inputs: [x]) { $0.sigmoid($1[0]) }
        checkOpGradients("swiglu", inputs: [x, up]) { $0.swiglu(gate: $1[0], up: $1[1]) }
        checkOpGradients("softmax", inputs: [x]) { $0.softmax($1[0]) }
        checkOpGradients("rmsNorm", inputs: [x, weight], step: 1e-3) { $0.rmsNorm($1[0], weight: $1[1], eps: 1e-6) }
    }

    @Test(arguments: sizes)
    func indexOps(size: Int) {
        let table = randomTensor([4, 3], seed: 40)
        let indices: [Int32] = (0..<size).map { Int32(($0 * 3 + 1) % 4) }
        checkOpGradients("embedding", inputs: [table]) { $0.embedding($1[0], indices: indices) }
        checkOpGradients("gatherRows", inputs: [table]) { $0.gatherRows($1[0], indices: indices) }
        let source = randomTensor([size, 3], seed: 41), weights = randomTensor([size], seed: 42)
        checkOpGradients("scatterAddRows", inputs: [source, weights]) {
            $0.scatterAddRows($1[0], indices: indices, weights: $1[1], rows: 4)
        }
        checkOpGradients("scatterAddRows unweighted", inputs: [source]) {
            $0.scatterAddRows($1[0], indices: indices, weights: nil, rows: 5)
        }
    }

    @Test(arguments: sizes)
    func attentionAndRotary(size: Int) {
        let T = size, H = 2, Dq = 4, Dv = 3
        let q = randomTensor([T, H, Dq], seed: 50), k = randomTensor([T, H, Dq], seed: 51), v = randomTensor([T, H, Dv], seed: 52)
        let segments: [Int32] = (0..<T).map { Int32($0 < T / 2 ? 0 : 1) }
        checkOpGradients("causalAttention", inputs: [q, k, v]) {
            $0.causalAttention(q: $1[0], k: $1[1], v: $1[2], scale: 0.5, segmentIds: segments)
        }
        // YaRN-style scaled tables: the backward must be the transpose, not the inverse.
        let half = 1, maxPositions = 12
        let cosTable = Tensor(shape: [maxPositions, half]) { Float(Foundation.cos(Double($0) * 0.3)) * 1.2 }
        let sinTable = Tensor(shape: [maxPositions, half]) { Float(Foundation.sin(Double($0) * 0.3)) * 1.2 }
        let positions: [Int32] = (0..<T).map { Int32(($0 * 5) % maxPositions) }
        for layout in [RotaryLayout.interleaved, .halfSplit] {
            checkOpGradients("rotary \(layout)", inputs: [q]) {
                $0.rotary($1[0], offset: 1, ropeDim: 2, positions: positions, cos: cosTable, sin: sinTable, layout: layout)
            }
        }
    }

    @Test(arguments: sizes)
    func crossEntropy(size: Int) {
        let vocabulary = (size % 4) + 2
        let logits = randomTensor([size, vocabulary], seed: 60, scale: 3)
        let labels: [Int32] = (0..<size).map { $0 % 4 == 3 ? Kernels.ignoreLabel : Int32($0 % vocabulary) }
        checkOpGradients("crossEntropy", inputs: [logits]) { $0.crossEntropy($1[0], labels: labels) }
    }
}

@Suite struct TapeTests {
    @Test func frozenWeightGetsNoGradientButInputStillDoes() {
        let x = Variable.parameter(randomTensor([3, 4], seed: 70))
        let weight = Variable.parameter(randomTensor([2, 4], seed: 71))
        weight.isFrozen = true
        let tape = Tape()
        let loss = tape.sum(tape.linear(x, weight: weight))
        tape.backward(from: loss)
        #expect(weight.gradient == nil)
        // d sum(x W^T) / dx[r, i] = sum over o of W[o, i].
        let expected = (0..<12).map { index in (0..<2).reduce(0.0) { $0 + Double(weight.value.array[$1 * 4 + index % 4]) } }
        let check = closeness(x.gradient?.array ?? [], expected, absolute: 1e-6, relative: 1e-6)
        #expect(check.passes, "\(check)")
    }

    @Test func constantsRecordNothing() {
        let tape = Tape()
        let x = Variable.constant(randomTensor([2, 3], seed: 72))
        let y = tape.silu(tape.linear(x, weight: Variable.constant(randomTensor([3, 3], seed: 73))))
        #expect(!y.requiresGradient)
        #expect(tape.recordCount == 0)
    }

    @Test func gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        let w = Variable.parameter(Tensor(shape: [2], values: [1, -2]))
        for _ in 0..<2 {
            let tape = Tape()
            tape.backward(from: tape.sum(tape.scale(w, by: 3)))
        }
        #expect(w.gradient?.array == [6, 6])
        w.zeroGradient()
        #expect(w.gradient == nil)
    }

    @Test func intermediateGradientsAreReleasedAndLeafGradientsKept() {
        let tape = Tape()
        let x = Variable.parameter(randomTensor([2, 2], seed: 74))
        let hidden = tape.silu(x)
        tape.backward(from: tape.mean(hidden))
        #expect(hidden.gradient == nil)
        #expect(x.gradient != nil)
    }
}

@Suite struct CustomOperationTests {
    @Test(arguments: [1, 3, 8])
    func customOperationJoinsTheGraph(size: Int) {
        // cube(x) defined outside the op set: y = x^3, dx += 3 x^2 g.
        checkOpGradients("custom cube", inputs: [randomTensor([size, 2], seed: 90)]) { tape, inputs in
            let x = inputs[0]
            let y = Tensor(shape: x.shape) { x.value.pointer[$0] * x.value.pointer[$0] * x.value.pointer[$0] }
            return tape.operation(y, inputs: [x]) { g in
                guard let dx = x.gradientPointerIfNeeded() else { return }
                for i in 0..<x.count { dx[i] += 3 * x.value.pointer[i] * x.value.pointer[i] * g.pointer[i] }
            }
        }
    }
}
