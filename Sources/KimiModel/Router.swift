import Autograd
import Foundation
import Storage

/// The routing decision for n tokens: k experts per token with their weights.
public struct Routing {
    /// [n, k] chosen expert ids.
    public var experts: [Int32]
    /// [n, k] final weights (normalised when norm_topk_prob, times routed_scaling_factor).
    public var weights: [Float]
    /// [n, E] sigmoid scores (un-biased), kept for the backward through the weights.
    public var scores: [Float]
}

/// DeepseekV3's `noaux_tc` top-k router, as transformers' `DeepseekV3TopkRouter`:
/// scores = sigmoid(x gate^T) in fp32; the choice uses scores + e_score_correction_bias, limited to
/// the topk_group groups with the best top-2 sums; the weights are the *un-biased* scores of the
/// chosen experts, normalised (+1e-20) when norm_topk_prob, times routed_scaling_factor.
/// The choice is discrete, so gradients flow only through the weights into x.
public final class Router {
    /// [E, C] router weight (frozen, no adapter slot: it is not a LoRA target).
    public let weight: Tensor
    /// [E] correction bias, used only for the choice.
    public let correctionBias: [Float]
    public let topK: Int
    public let groupCount: Int
    public let topKGroups: Int
    public let normalize: Bool
    public let scalingFactor: Float

    public init(weight: Tensor, correctionBias: [Float], topK: Int, groupCount: Int, topKGroups: Int,
                normalize: Bool, scalingFactor: Float) {
        precondition(weight.rank == 2 && correctionBias.count == weight.shape[0], "router weight \(weight.shape), bias \(correctionBias.count)")
        precondition(groupCount > 0 && weight.shape[0] % groupCount == 0 && topKGroups <= groupCount, "router groups \(groupCount)/\(topKGroups)")
        self.weight = weight; self.correctionBias = correctionBias; self.topK = topK
        self.groupCount = groupCount; self.topKGroups = topKGroups; self.normalize = normalize
        self.scalingFactor = scalingFactor
    }

    public var expertCount: Int { weight.shape[0] }
    public var hiddenSize: Int { weight.shape[1] }

    // Legend: n = tokens, C = hidden size, E = experts, k = experts per token, G = groups.

    /// Routes x [n, C].
    public func route(_ x: UnsafePointer<Float>, rows n: Int) -> Routing {
        let E = expertCount, k = topK, G = groupCount, perGroup = E / G
        var scores = [Float](repeating: 0, count: n * E)
        scores.withUnsafeMutableBufferPointer { s in
            BLAS.linear(x, rows: n, inFeatures: hiddenSize, weight: weight.pointer, outFeatures: E, into: s.baseAddress!)  // logits [n, E]
            for i in 0..<(n * E) { s[i] = 1 / (1 + expf(-s[i])) }                                                       // sigmoid
        }
        var experts = [Int32](repeating: 0, count: n * k)
        var weights = [Float](repeating: 0, count: n * k)
        var choice = [Float](repeating: 0, count: E)
        var groupScores = [Float](repeating: 0, count: G)
        for t in 0..<n {
            for e in 0..<E { choice[e] = scores[t * E + e] + correctionBias[e] }
            if G > 1 {
                // Group score: sum of the two best choice scores in the group; keep the best topk_group groups.
                for g in 0..<G {
                    var best = -Float.infinity, second = -Float.infinity
                    for e in (g * perGroup)..<((g + 1) * perGroup) {
                        let v = choice[e]
                        if v > best { second = best; best = v } else if v > second { second = v }
                    }
                    groupScores[g] = perGroup >= 2 ? best + second : best
                }
                let keptGroups = Set(Self.topIndices(groupScores, count: topKGroups))
                for g in 0..<G where !keptGroups.contains(g) {
                    for e in (g * perGroup)..<((g + 1) * perGroup) { choice[e] = -.infinity }
                }
            }
            let chosen = Self.topIndices(choice, count: k)
            var sum: Float = 0
            for (s, e) in chosen.enumerated() {
                experts[t * k + s] = Int32(e)
                weights[t * k + s] = scores[t * E + e]
                sum += scores[t * E + e]
            }
            let denominator = normalize ? sum + 1e-20 : 1
            for s in 0..<k { weights[t * k + s] = weights[t * k + s] / denominator * scalingFactor }
        }
        return Routing(experts: experts, weights: weights, scores: scores)
    }

    /// Indices of the `count` largest values, largest first (ties: lower index first). Insertion
    /// into a short sorted list: O(values * count), cheaper than sorting 384 scores per token.
    static func topIndices(_ values: [Float], count: Int) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(count + 1)
        for i in values.indices {
            let v = values[i]
            if best.count == count, let last = best.last, !(v > values[last]) { continue }
            var position = best.count
            while position > 0 && v > values[best[position - 1]] { position -= 1 }
            best.insert(i, at: position)
            if best.count > count { best.removeLast() }
        }
        return best
    }

    /// dx [n, C] += gradient through the routing weights, given dWeights [n, k] (d loss / d weights).
    /// w_s = f * s_s / D (D = sum of chosen scores, or 1), s = sigmoid(logit), logits = x gate^T.
    public func backward(routing: Routing, rows n: Int, weightsGradient dw: [Float], inputGradient dx: UnsafeMutablePointer<Float>) {
        let E = expertCount, k = topK
        var dLogits = [Float](repeating: 0, count: n * E)   // [n, E], non-zero only at chosen experts
        for t in 0..<n {
            var sum: Float = 0, weightedGradient: Float = 0
            for s in 0..<k {
                let score = routing.scores[t * E + Int(routing.experts[t * k + s])]
                sum += score
                weightedGradient += dw[t * k + s] * score
            }
            let D = normalize ? sum + 1e-20 : 1
            for s in 0..<k {
                let e = Int(routing.experts[t * k + s])
                let score = routing.scores[t * E + e]
                // d w_s / d s_j = f (delta_sj / D - s_s / D^2) when normalising, f delta_sj otherwise.
                var dScore = scalingFactor * dw[t * k + s] / D
                if normalize { dScore -= scalingFactor * weightedGradient / (D * D) }
                dLogits[t * E + e] += dScore * score * (1 - score)
            }
        }
        dLogits.withUnsafeBufferPointer { dl in
            BLAS.gemm(m: n, n: hiddenSize, k: E, a: dl.baseAddress!, b: weight.pointer, beta: 1, c: dx)  // dx [n, C] += dLogits [n, E] W [E, C]
        }
    }
}
