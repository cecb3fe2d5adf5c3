import Foundation
import Testing
import TestSupport
@testable import Autograd

/// Kernels against PyTorch / transformers' DeepseekV3 code (scripts/golden/make_autograd_fixtures.py):
/// forward values and gradients, computed there in float64 from the same float32 inputs. These pin
/// the conventions the finite-difference tests cannot: RMSNorm's eps placement, the interleaved
/// rotary pairing, SDPA's masking and scale, cross-entropy's ignore_index mean.
@Suite struct TorchGoldenTests {
    struct RMSNormCase: Decodable {
        let rows: Int, dim: Int, eps: Float
        let x: [Float], weight: [Float], output: [Double], outputGradient: [Float], inputGradient: [Double], weightGradient: [Double]
    }
    struct RotaryCase: Decodable { let x: [Float], output: [Double], outputGradient: [Float], inputGradient: [Double] }
    struct Rotary: Decodable {
        let tokens: Int, heads: Int, ropeDim: Int, positions: [Int32], cos: [Float], sin: [Float]
        let interleaved: RotaryCase, halfSplit: RotaryCase
    }
    struct AttentionCase: Decodable {
        let tokens: Int, heads: Int, qkDim: Int, vDim: Int, scale: Float, segmentIds: [Int32]?
        let q: [Float], k: [Float], v: [Float], output: [Double], outputGradient: [Float]
        let qGradient: [Double], kGradient: [Double], vGradient: [Double]
    }
    struct CrossEntropyCase: Decodable {
        let rows: Int, vocabulary: Int, logits: [Float], labels: [Int32], loss: Double, logitsGradient: [Double]
    }
    struct SwigluCase: Decodable {
        let count: Int, gate: [Float], up: [Float], output: [Double], outputGradient: [Float]
        let gateGradient: [Double], upGradient: [Double]
    }
    struct Fixture: Decodable {
        let rmsNorm: RMSNormCase, rotary: Rotary, attention: AttentionCase, packedAttention: AttentionCase
        let crossEntropy: CrossEntropyCase, swiglu: SwigluCase
    }

    static func load() throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: "torch-kernels", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func expectClose<E: BinaryFloatingPoint>(_ name: String, _ actual: [Float], _ expected: [E],
                                             sourceLocation: SourceLocation = #_sourceLocation) {
        let check = closeness(actual, expected, absolute: 1e-5, relative: 1e-4)
        #expect(check.passes, "\(name): \(check)", sourceLocation: sourceLocation)
    }

    @Test func rmsNormMatchesTransformers() throws {
        let c = try Self.load().rmsNorm
        var output = [Float](repeating: 0, count: c.rows * c.dim), inverse = [Float](repeating: 0, count: c.rows)
        Kernels.rmsNormForward(c.x, weight: c.weight, rows: c.rows, dim: c.dim, eps: c.eps, output: &output, inverseRMS: &inverse)
        var dx = [Float](repeating: 0, count: output.count), dw = [Float](repeating: 0, count: c.dim)
        Kernels.rmsNormBackward(c.x, weight: c.weight, inverseRMS: inverse, outputGradient: c.outputGradient,
                                rows: c.rows, dim: c.dim, inputGradient: &dx, weightGradient: &dw)
        expectClose("output", output, c.output)
        expectClose("dx", dx, c.inputGradient)
        expectClose("dw", dw, c.weightGradient)
    }

    @Test(arguments: [RotaryLayout.interleaved, .halfSplit])
    func rotaryMatchesTransformers(layout: RotaryLayout) throws {
        let r = try Self.load().rotary
        let c = layout == .interleaved ? r.interleaved : r.halfSplit
        let half = r.ropeDim / 2, rows = r.tokens * r.heads
        // transformers returns the interleaved variant de-interleaved ([rotated evens, rotated odds]);
        // we rotate in place, so map torch's index j to ours. q.k products are unchanged by this
        // permutation, which is why attention does not need it.
        func ours(_ j: Int) -> Int {
            guard layout == .interleaved else { return j }
            let (row, i) = (j / r.ropeDim, j % r.ropeDim)
            return row * r.ropeDim + (i < half ? 2 * i : 2 * (i - half) + 1)
        }
        func apply(_ values: [Float], inverse: Bool) -> [Float] {
            var y = values
            Kernels.applyRotary(&y, tokens: r.tokens, heads: r.heads, tokenStride: r.heads * r.ropeDim, headStride: r.ropeDim,
                                offset: 0, ropeDim: r.ropeDim, positions: r.positions, cos: r.cos, sin: r.sin,
                                layout: layout, inverse: inverse)
            return y
        }
        let rotated = apply(c.x, inverse: false)
        expectClose("output", (0..<(rows * r.ropeDim)).map { rotated[ours($0)] }, c.output)
        var gradient = [Float](repeating: 0, count: c.outputGradient.count)
        for j in 0..<gradient.count { gradient[ours(j)] = c.outputGradient[j] }
        expectClose("dx", apply(gradient, inverse: true), c.inputGradient)
    }

    @Test(arguments: [false, true])
    func attentionMatchesScaledDotProductAttention(packed: Bool) throws {
        let fixture = try Self.load()
        let c = packed ? fixture.packedAttention : fixture.attention
        var output = [Float](repeating: 0, count: c.output.count), lse = [Float](repeating: 0, count: c.heads * c.tokens)
        var dq = [Float](repeating: 0, count: c.q.count), dk = dq, dv = [Float](repeating: 0, count: c.v.count)
        func run(_ segments: UnsafePointer<Int32>?) {
            Kernels.causalAttentionForward(q: c.q, k: c.k, v: c.v, tokens: c.tokens, heads: c.heads, qkDim: c.qkDim, vDim: c.vDim,
                                           scale: c.scale, segmentIds: segments, output: &output, logSumExp: &lse)
            Kernels.causalAttentionBackward(q: c.q, k: c.k, v: c.v, output: output, logSumExp: lse, outputGradient: c.outputGradient,
                                            tokens: c.tokens, heads: c.heads, qkDim: c.qkDim, vDim: c.vDim, scale: c.scale,
                                            segmentIds: segments, qGradient: &dq, kGradient: &dk, vGradient: &dv)
        }
        if let segments = c.segmentIds { segments.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(nil) }
        expectClose("output", output, c.output)
        expectClose("dq", dq, c.qGradient)
        expectClose("dk", dk, c.kGradient)
        expectClose("dv", dv, c.vGradient)
    }

    @Test func crossEntropyMatchesTorch() throws {
        let c = try Self.load().crossEntropy
        let tape = Tape()
        let logits = Variable.parameter(Tensor(shape: [c.rows, c.vocabulary], values: c.logits))
        let loss = tape.crossEntropy(logits, labels: c.labels)
        tape.backward(from: loss)
        expectClose("loss", loss.value.array, [c.loss])
        expectClose("dlogits", logits.gradient?.array ?? [], c.logitsGradient)
    }

    @Test func swigluMatchesTorch() throws {
        let c = try Self.load().swiglu
        var output = [Float](repeating: 0, count: c.count), dGate = output, dUp = output
        Kernels.swigluForward(gate: c.gate, up: c.up, count: c.count, output: &output)
        Kernels.swigluBackward(gate: c.gate, up: c.up, outputGradient: c.outputGradient, count: c.count,
                               gateGradient: &dGate, upGradient: &dUp)
        expectClose("output", output, c.output)
        expectClose("dgate", dGate, c.gateGradient)
        expectClose("dup", dUp, c.upGradient)
    }
}
