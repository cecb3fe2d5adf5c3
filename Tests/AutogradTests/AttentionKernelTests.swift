import Foundation
import Testing
import TestSupport
@testable import Autograd

@Suite struct AttentionKernelTests {
    /// Naive causal attention in Double: q, k [T,H,Dq], v [T,H,Dv] -> [T,H,Dv].
    func reference(q: [Float], k: [Float], v: [Float], T: Int, H: Int, Dq: Int, Dv: Int, scale: Double,
                   segments: [Int32]?) -> [Double] {
        var out = [Double](repeating: 0, count: T * H * Dv)
        for h in 0..<H { for i in 0..<T {
            var scores = [Double](repeating: -.infinity, count: T)
            for j in 0...i where segments == nil || segments![j] == segments![i] {
                var s = 0.0
                for d in 0..<Dq { s += Double(q[(i * H + h) * Dq + d]) * Double(k[(j * H + h) * Dq + d]) }
                scores[j] = s * scale
            }
            let maximum = scores.max()!
            let weights = scores.map { exp($0 - maximum) }
            let total = weights.reduce(0, +)
            for j in 0..<T where weights[j] > 0 {
                for d in 0..<Dv { out[(i * H + h) * Dv + d] += weights[j] / total * Double(v[(j * H + h) * Dv + d]) }
            }
        } }
        return out
    }

    func forward(q: [Float], k: [Float], v: [Float], T: Int, H: Int, Dq: Int, Dv: Int, scale: Float,
                 segments: [Int32]?) -> (output: [Float], logSumExp: [Float]) {
        var out = [Float](repeating: 0, count: T * H * Dv), lse = [Float](repeating: 0, count: H * T)
        if let segments {
            Kernels.causalAttentionForward(q: q, k: k, v: v, tokens: T, heads: H, qkDim: Dq, vDim: Dv, scale: scale,
                                           segmentIds: segments, output: &out, logSumExp: &lse)
        } else {
            Kernels.causalAttentionForward(q: q, k: k, v: v, tokens: T, heads: H, qkDim: Dq, vDim: Dv, scale: scale,
                                           segmentIds: nil, output: &out, logSumExp: &lse)
        }
        return (out, lse)
    }

    static let cases: [(T: Int, H: Int, Dq: Int, Dv: Int, packed: Bool)] = [
        (1, 1, 1, 1, false), (3, 2, 3, 2, false), (9, 3, 8, 7, true), (70, 2, 3, 2, true), (130, 1, 2, 3, false),
    ]

    @Test(arguments: cases)
    func forwardMatchesNaiveReference(_ c: (T: Int, H: Int, Dq: Int, Dv: Int, packed: Bool)) {
        let q = GradientCheck.random(c.T * c.H * c.Dq, seed: 30), k = GradientCheck.random(c.T * c.H * c.Dq, seed: 31)
        let v = GradientCheck.random(c.T * c.H * c.Dv, seed: 32)
        // Packed: three examples of uneven length, one split across the 64-row query block boundary.
        let segments: [Int32]? = c.packed ? (0..<c.T).map { Int32($0 < c.T / 3 ? 0 : ($0 < c.T - 2 ? 1 : 2)) } : nil
        let scale = 1 / Float(c.Dq).squareRoot()
        let actual = forward(q: q, k: k, v: v, T: c.T, H: c.H, Dq: c.Dq, Dv: c.Dv, scale: scale, segments: segments).output
        let expected = reference(q: q, k: k, v: v, T: c.T, H: c.H, Dq: c.Dq, Dv: c.Dv, scale: Double(scale), segments: segments)
        let check = closeness(actual, expected, absolute: 1e-5, relative: 1e-4)
        #expect(check.passes, "\(check)")
    }

    @Test(arguments: cases)
    func backwardMatchesFiniteDifferences(_ c: (T: Int, H: Int, Dq: Int, Dv: Int, packed: Bool)) {
        let q = GradientCheck.random(c.T * c.H * c.Dq, seed: 40), k = GradientCheck.random(c.T * c.H * c.Dq, seed: 41)
        let v = GradientCheck.random(c.T * c.H * c.Dv, seed: 42), r = GradientCheck.random(c.T * c.H * c.Dv, seed: 43)
        let segments: [Int32]? = c.packed ? (0..<c.T).map { Int32($0 % 2 == 0 || $0 > c.T / 2 ? 5 : 9) } : nil
        let scale: Float = 0.7
        let (out, lse) = forward(q: q, k: k, v: v, T: c.T, H: c.H, Dq: c.Dq, Dv: c.Dv, scale: scale, segments: segments)
        var dq = [Float](repeating: 0, count: q.count), dk = dq, dv = [Float](repeating: 0, count: v.count)
        func run(_ s: UnsafePointer<Int32>?) {
            Kernels.causalAttentionBackward(q: q, k: k, v: v, output: out, logSumExp: lse, outputGradient: r,
                                            tokens: c.T, heads: c.H, qkDim: c.Dq, vDim: c.Dv, scale: scale,
                                            segmentIds: s, qGradient: &dq, kGradient: &dk, vGradient: &dv)
        }
        if let segments { segments.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(nil) }
        func loss(_ q: [Float], _ k: [Float], _ v: [Float]) -> Double {
            GradientCheck.dot(forward(q: q, k: k, v: v, T: c.T, H: c.H, Dq: c.Dq, Dv: c.Dv, scale: scale, segments: segments).output, r)
        }
        let expectedQ = GradientCheck.numerical(q) { loss($0, k, v) }
        let expectedK = GradientCheck.numerical(k) { loss(q, $0, v) }
        let expectedV = GradientCheck.numerical(v) { loss(q, k, $0) }
        for (name, actual, expected) in [("dq", dq, expectedQ), ("dk", dk, expectedK), ("dv", dv, expectedV)] {
            let check = closeness(actual, expected, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
            #expect(check.passes, "\(name): \(check)")
        }
    }
}

@Suite struct RotaryKernelTests {
    /// Tables [positions, half] for angle p * theta_i, scaled by `factor` (like YaRN's mscale).
    func tables(positions: Int, half: Int, factor: Float) -> (cos: [Float], sin: [Float]) {
        var c = [Float](), s = [Float]()
        for p in 0..<positions { for i in 0..<half {
            let angle = Double(p) * pow(10_000, -Double(2 * i) / Double(2 * half))
            c.append(Float(cos(angle)) * factor); s.append(Float(sin(angle)) * factor)
        } }
        return (c, s)
    }

    static let layouts: [RotaryLayout] = [.interleaved, .halfSplit]

    @Test(arguments: layouts, [Float(1), Float(1.3)])
    func forwardMatchesReferenceAndInverseIsTheBackward(layout: RotaryLayout, factor: Float) {
        // x [T=3, H=2, 9]: a 1-value prefix, ropeDim 6 at offset 1, 2 trailing values untouched.
        let T = 3, H = 2, width = 9, offset = 1, ropeDim = 6, half = 3
        let x = GradientCheck.random(T * H * width, seed: 50), r = GradientCheck.random(T * H * width, seed: 51)
        let positions: [Int32] = [4, 0, 2]
        let (cosTable, sinTable) = tables(positions: 5, half: half, factor: factor)
        func rotate(_ values: [Float], inverse: Bool) -> [Float] {
            var y = values
            Kernels.applyRotary(&y, tokens: T, heads: H, tokenStride: H * width, headStride: width, offset: offset,
                                ropeDim: ropeDim, positions: positions, cos: cosTable, sin: sinTable,
                                layout: layout, inverse: inverse)
            return y
        }
        var expected = x.map(Double.init)
        for t in 0..<T { for h in 0..<H { for i in 0..<half {
            let base = t * H * width + h * width + offset
            let (a, b) = layout == .interleaved ? (base + 2 * i, base + 2 * i + 1) : (base + i, base + i + half)
            let c = Double(cosTable[Int(positions[t]) * half + i]), s = Double(sinTable[Int(positions[t]) * half + i])
            expected[a] = Double(x[a]) * c - Double(x[b]) * s
            expected[b] = Double(x[a]) * s + Double(x[b]) * c
        } } }
        let forwardCheck = closeness(rotate(x, inverse: false), expected, absolute: 1e-6, relative: 1e-5)
        #expect(forwardCheck.passes, "forward: \(forwardCheck)")
        // Backward = transpose: rotating the output gradient with inverse: true gives dL/dx.
        let gradient = rotate(r, inverse: true)
        let numerical = GradientCheck.numerical(x) { GradientCheck.dot(rotate($0, inverse: false), r) }
        let backwardCheck = closeness(gradient, numerical, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        #expect(backwardCheck.passes, "backward: \(backwardCheck)")
        if factor == 1 {
            let roundTrip = closeness(rotate(rotate(x, inverse: false), inverse: true), x, absolute: 1e-6, relative: 1e-5)
            #expect(roundTrip.passes, "round trip: \(roundTrip)")
        }
    }
}
