import Autograd
import Foundation
@testable import KimiModel
import TestSupport
import Testing

/// The router against a plain Double reference of transformers' DeepseekV3TopkRouter, and its
/// backward against central finite differences.
@Suite struct RouterTests {
    /// A router with seeded weights; hidden 6, experts 8.
    static func router(groups: Int = 1, topKGroups: Int = 1, normalize: Bool = true, bias: [Float]? = nil, seed: UInt64 = 3) -> Router {
        var rng = SplitMix64(seed: seed)
        let weight = Tensor(shape: [8, 6], generator: { _ in Float(rng.nextGaussian()) })
        return Router(weight: weight, correctionBias: bias ?? (0..<8).map { _ in Float(rng.nextGaussian() * 0.1) },
                      topK: 2, groupCount: groups, topKGroups: topKGroups, normalize: normalize, scalingFactor: 2.5)
    }

    static func input(rows: Int, seed: UInt64 = 5) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<(rows * 6)).map { _ in Float(rng.nextGaussian()) }
    }

    /// Reference: expert ids (as a set per token) and their weights, in Double.
    static func reference(_ r: Router, _ x: [Float], rows: Int) -> [[Int: Double]] {
        let E = r.expertCount, C = r.hiddenSize, G = r.groupCount, per = E / G
        return (0..<rows).map { t in
            let scores = (0..<E).map { e -> Double in
                var dot = 0.0
                for c in 0..<C { dot += Double(x[t * C + c]) * Double(r.weight.data[e * C + c]) }
                return 1 / (1 + exp(-dot))
            }
            var choice = (0..<E).map { scores[$0] + Double(r.correctionBias[$0]) }
            let groupScore = (0..<G).map { g in Array(choice[(g * per)..<((g + 1) * per)]).sorted(by: >).prefix(2).reduce(0, +) }
            let kept = Set((0..<G).sorted { groupScore[$0] > groupScore[$1] }.prefix(r.topKGroups))
            for e in 0..<E where !kept.contains(e / per) { choice[e] = -.infinity }
            let chosen = (0..<E).sorted { choice[$0] > choice[$1] }.prefix(r.topK)
            let sum = chosen.reduce(0.0) { $0 + scores[$1] }
            var out: [Int: Double] = [:]
            for e in chosen { out[e] = scores[e] / (r.normalize ? sum + 1e-20 : 1) * Double(r.scalingFactor) }
            return out
        }
    }

    @Test(arguments: [(1, 1, true), (2, 1, true), (4, 2, true), (1, 1, false)])
    func routingMatchesReference(groups: Int, topKGroups: Int, normalize: Bool) {
        let r = Self.router(groups: groups, topKGroups: topKGroups, normalize: normalize)
        let rows = 9
        let x = Self.input(rows: rows)
        let routing = x.withUnsafeBufferPointer { r.route($0.baseAddress!, rows: rows) }
        let expected = Self.reference(r, x, rows: rows)
        for t in 0..<rows {
            let chosen = (0..<2).map { Int(routing.experts[t * 2 + $0]) }
            #expect(Set(chosen) == Set(expected[t].keys), "token \(t): chose \(chosen), expected \(expected[t].keys.sorted())")
            let actual = chosen.map { Double(routing.weights[t * 2 + chosen.firstIndex(of: $0)!]) }
            let c = closeness(actual, chosen.map { expected[t][$0] ?? .nan }, absolute: 1e-6, relative: 1e-5)
            #expect(c.passes, "token \(t) weights: \(c)")
        }
    }

    @Test func biasSteersTheChoiceButNotTheWeights() {
        let rows = 4
        let x = Self.input(rows: rows)
        let plain = Self.router(bias: [Float](repeating: 0, count: 8))
        var boosted = [Float](repeating: 0, count: 8)
        boosted[5] = 10   // expert 5 is always chosen, with its un-biased score as weight
        let steered = Router(weight: plain.weight, correctionBias: boosted, topK: 2, groupCount: 1, topKGroups: 1,
                             normalize: false, scalingFactor: 1)
        let routing = x.withUnsafeBufferPointer { steered.route($0.baseAddress!, rows: rows) }
        for t in 0..<rows {
            let slot = (0..<2).first { routing.experts[t * 2 + $0] == 5 }
            #expect(slot != nil, "token \(t) did not choose the boosted expert")
            if let slot {
                let score = routing.scores[t * 8 + 5]
                #expect(routing.weights[t * 2 + slot] == score, "weight \(routing.weights[t * 2 + slot]) vs un-biased score \(score)")
                #expect(score < 1, "the bias must not leak into the score")
            }
        }
    }

    @Test func groupLimitingExcludesTheBestExpertOfAWeakGroup() {
        // Group 0 = experts 0-3, group 1 = experts 4-7. Expert 7 alone is strongest, but group 0's
        // top-2 sum wins, so with topk_group 1 expert 7 is excluded.
        let weight = Tensor(shape: [8, 1], values: [3, 2.9, 0, 0, 0, 0, 0, 4])
        let r = Router(weight: weight, correctionBias: [Float](repeating: 0, count: 8), topK: 2, groupCount: 2,
                       topKGroups: 1, normalize: true, scalingFactor: 1)
        let routing = [Float(1)].withUnsafeBufferPointer { r.route($0.baseAddress!, rows: 1) }
        #expect(Set(routing.experts) == [0, 1], "chose \(routing.experts)")
        let ungrouped = Router(weight: weight, correctionBias: [Float](repeating: 0, count: 8), topK: 2, groupCount: 1,
                               topKGroups: 1, normalize: true, scalingFactor: 1)
        let free = [Float(1)].withUnsafeBufferPointer { ungrouped.route($0.baseAddress!, rows: 1) }
        #expect(Set(free.experts) == [7, 0], "chose \(free.experts)")
    }

    @Test(arguments: [true, false])
    func backwardMatchesFiniteDifferences(normalize: Bool) {
        let r = Self.router(groups: 2, topKGroups: 1, normalize: normalize)
        let rows = 3, C = 6
        let x = Self.input(rows: rows, seed: 11)   // no routing decision within the step h of a tie
        // Loss = sum_t,s c[t, s] * w[t, s] for fixed c; routing held fixed (margins are clear here).
        var rng = SplitMix64(seed: 9)
        let c = (0..<(rows * 2)).map { _ in Float(rng.nextGaussian()) }
        let routing = x.withUnsafeBufferPointer { r.route($0.baseAddress!, rows: rows) }
        var dx = [Float](repeating: 0, count: rows * C)
        dx.withUnsafeMutableBufferPointer { r.backward(routing: routing, rows: rows, weightsGradient: c, inputGradient: $0.baseAddress!) }
        func loss(_ x: [Float]) -> Double {
            let rt = x.withUnsafeBufferPointer { r.route($0.baseAddress!, rows: rows) }
            #expect(rt.experts == routing.experts, "routing changed under the finite-difference step")
            return (0..<(rows * 2)).reduce(0.0) { $0 + Double(c[$1]) * Double(rt.weights[$1]) }
        }
        let h: Float = 1e-2
        let numeric = (0..<(rows * C)).map { i -> Double in
            var plus = x, minus = x
            plus[i] += h; minus[i] -= h
            return (loss(plus) - loss(minus)) / Double(2 * h)
        }
        let check = closeness(dx, numeric, absolute: 2e-3, relative: 2e-2)
        #expect(check.passes, "router dx vs finite differences: \(check)")
    }
}
