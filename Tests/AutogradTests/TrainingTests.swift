import Foundation
import Testing
@testable import Autograd

/// End-to-end: small networks built from the tape ops learn toy tasks to near-zero loss, which
/// exercises every backward together (a wrong sign anywhere stalls training).
@Suite struct TrainingTests {
    /// Plain Adam over explicit parameter lists (bias-corrected), enough for the toy tasks.
    final class Adam {
        let parameters: [Variable]
        let learningRate: Float
        var step = 0
        var first: [[Float]], second: [[Float]]

        init(_ parameters: [Variable], learningRate: Float) {
            self.parameters = parameters
            self.learningRate = learningRate
            first = parameters.map { [Float](repeating: 0, count: $0.count) }
            second = first
        }

        func update() {
            step += 1
            let correction1 = 1 - pow(0.9, Float(step)), correction2 = 1 - pow(0.999, Float(step))
            for (p, parameter) in parameters.enumerated() {
                guard let gradient = parameter.gradient else { continue }
                let w = parameter.value.pointer, g = gradient.pointer
                for i in 0..<parameter.count {
                    first[p][i] = 0.9 * first[p][i] + 0.1 * g[i]
                    second[p][i] = 0.999 * second[p][i] + 0.001 * g[i] * g[i]
                    w[i] -= learningRate * (first[p][i] / correction1) / ((second[p][i] / correction2).squareRoot() + 1e-8)
                }
                parameter.zeroGradient()
            }
        }
    }

    static func gaussian(_ shape: [Int], seed: UInt64, scale: Float) -> Variable {
        var generator = SplitMix64(seed: seed)
        return .parameter(Tensor(shape: shape) { _ in Float(generator.nextGaussian()) * scale })
    }

    @Test func mlpLearnsXorWithPlainSGD() {
        // Four points, two classes, not linearly separable: needs the hidden layer.
        let inputs = Variable.constant(Tensor(shape: [4, 2], values: [0, 0, 0, 1, 1, 0, 1, 1]))
        let labels: [Int32] = [0, 1, 1, 0]
        let w1 = Self.gaussian([16, 2], seed: 1, scale: 1), b1 = Self.gaussian([16], seed: 2, scale: 0.1)
        let w2 = Self.gaussian([2, 16], seed: 3, scale: 0.5)
        var loss: Float = .infinity
        for _ in 0..<2000 {
            let tape = Tape()
            let hidden = tape.silu(tape.add(tape.linear(inputs, weight: w1), b1))
            let output = tape.crossEntropy(tape.linear(hidden, weight: w2), labels: labels)
            loss = output.value.pointer[0]
            tape.backward(from: output)
            for parameter in [w1, b1, w2] {
                Kernels.axpy(alpha: -0.5, parameter.gradient!.pointer, count: parameter.count, y: parameter.value.pointer)
                parameter.zeroGradient()
            }
        }
        #expect(loss < 0.01, "final loss \(loss)")
    }

    @Test func tinyTransformerMemorizesPackedSequences() {
        // Two packed copies of one sequence; "1" is followed by 4 or by 5 depending on the token
        // before it, so predicting it needs attention to the previous position.
        let sequence: [Int32] = [0, 3, 1, 4, 1, 5, 2, 5]
        let tokens = sequence + sequence
        let segments = [Int32](repeating: 0, count: 8) + [Int32](repeating: 1, count: 8)
        let positions = (0..<16).map { Int32($0 % 8) }
        let labels = (0..<16).map { i -> Int32 in i % 8 == 7 ? Kernels.ignoreLabel : tokens[i + 1] }
        let V = 6, C = 16, H = 2, D = 8, T = 16
        let cosTable = Tensor(shape: [8, D / 2]) { Float(cos(Double($0 / (D / 2)) * pow(100, -Double($0 % (D / 2)) / Double(D / 2)))) }
        let sinTable = Tensor(shape: [8, D / 2]) { Float(sin(Double($0 / (D / 2)) * pow(100, -Double($0 % (D / 2)) / Double(D / 2)))) }
        let embedding = Self.gaussian([V, C], seed: 10, scale: 1)
        let norm1 = Variable.parameter(Tensor(shape: [C], repeating: 1)), norm2 = Variable.parameter(Tensor(shape: [C], repeating: 1))
        let wq = Self.gaussian([H * D, C], seed: 11, scale: 0.25), wk = Self.gaussian([H * D, C], seed: 12, scale: 0.25)
        let wv = Self.gaussian([H * D, C], seed: 13, scale: 0.25), wo = Self.gaussian([C, H * D], seed: 14, scale: 0.25)
        let wGate = Self.gaussian([32, C], seed: 15, scale: 0.25), wUp = Self.gaussian([32, C], seed: 16, scale: 0.25)
        let wDown = Self.gaussian([C, 32], seed: 17, scale: 0.18), wOut = Self.gaussian([V, C], seed: 18, scale: 0.25)
        let parameters = [embedding, norm1, norm2, wq, wk, wv, wo, wGate, wUp, wDown, wOut]
        let optimizer = Adam(parameters, learningRate: 0.01)
        var loss: Float = .infinity
        for _ in 0..<300 {
            let tape = Tape()
            let x = tape.embedding(embedding, indices: tokens)
            let h = tape.rmsNorm(x, weight: norm1, eps: 1e-6)
            func heads(_ weight: Variable) -> Variable { tape.reshape(tape.linear(h, weight: weight), [T, H, D]) }
            let q = tape.rotary(heads(wq), offset: 0, ropeDim: D, positions: positions, cos: cosTable, sin: sinTable, layout: .interleaved)
            let k = tape.rotary(heads(wk), offset: 0, ropeDim: D, positions: positions, cos: cosTable, sin: sinTable, layout: .interleaved)
            let attention = tape.causalAttention(q: q, k: k, v: heads(wv), scale: 1 / Float(D).squareRoot(), segmentIds: segments)
            let x2 = tape.add(x, tape.linear(tape.reshape(attention, [T, H * D]), weight: wo))
            let h2 = tape.rmsNorm(x2, weight: norm2, eps: 1e-6)
            let mlp = tape.linear(tape.swiglu(gate: tape.linear(h2, weight: wGate), up: tape.linear(h2, weight: wUp)), weight: wDown)
            let output = tape.crossEntropy(tape.linear(tape.add(x2, mlp), weight: wOut), labels: labels)
            loss = output.value.pointer[0]
            tape.backward(from: output)
            optimizer.update()
        }
        #expect(loss < 0.02, "final loss \(loss)")
    }
}
