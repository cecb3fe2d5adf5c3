import Foundation
import Storage

/// Rotary position tables for the rope part of MLA's queries and keys, computed as transformers 5
/// computes them (`_compute_yarn_parameters`, `DeepseekV3RotaryEmbedding.forward`): inverse
/// frequencies in Float32, YaRN-blended between interpolation and extrapolation, and cos/sin
/// multiplied by the YaRN attention factor. The softmax scale (with mscale_all_dim) is here too,
/// because both come from the same rope parameters.
public struct RotaryEmbedding: Sendable {
    /// [ropeDim / 2] inverse frequencies.
    public let inverseFrequencies: [Float]
    /// Multiplies cos and sin (YaRN's `attention_factor`; 1 without scaling).
    public let attentionFactor: Float
    /// q_head_dim^-0.5, times mscale(factor, mscale_all_dim)^2 under YaRN.
    public let softmaxScale: Float
    public let ropeDim: Int

    public init(config: KimiConfig) throws {
        let dim = config.qkRopeHeadDim
        guard dim > 0, dim % 2 == 0 else {
            throw ModelError.unsupportedConfig("qk_rope_head_dim \(dim) must be positive and even")
        }
        ropeDim = dim
        let base = Float(config.ropeTheta)
        // pos_freqs = base ** (arange(0, dim, 2) / dim), in float32 as torch evaluates it.
        let positionFrequencies = (0..<(dim / 2)).map { i in powf(base, Float(2 * i) / Float(dim)) }
        var scale = 1 / Double(config.qHeadDim).squareRoot()
        guard let rope = config.ropeScaling else {
            inverseFrequencies = positionFrequencies.map { 1 / $0 }
            attentionFactor = 1
            softmaxScale = Float(scale)
            return
        }
        guard rope.type == "yarn" else {
            throw ModelError.unsupportedConfig("rope_scaling type '\(rope.type)' is not supported (only yarn)")
        }
        let factor = rope.factor
        if rope.mscale != 0 && rope.mscaleAllDim != 0 {
            attentionFactor = Float(Self.mscale(factor, rope.mscale) / Self.mscale(factor, rope.mscaleAllDim))
        } else {
            attentionFactor = Float(Self.mscale(factor, 1))
        }
        if rope.mscaleAllDim != 0 {
            let m = Self.mscale(factor, rope.mscaleAllDim)
            scale = scale * m * m
        }
        softmaxScale = Float(scale)

        // find_correction_range with truncate = true (transformers' default).
        func correctionDim(_ rotations: Double) -> Double {
            Double(dim) * log(Double(rope.originalMaxPositionEmbeddings) / (rotations * 2 * Double.pi)) / (2 * log(config.ropeTheta))
        }
        let betaFast = rope.betaFast == 0 ? 32 : rope.betaFast
        let betaSlow = rope.betaSlow == 0 ? 1 : rope.betaSlow
        let low = max(floor(correctionDim(betaFast)), 0)
        var high = min(ceil(correctionDim(betaSlow)), Double(dim - 1))
        if low == high { high += 0.001 }
        let factorF = Float(factor)
        inverseFrequencies = (0..<(dim / 2)).map { i in
            let ramp = min(max((Float(i) - Float(low)) / Float(high - low), 0), 1)
            let extrapolationFactor = 1 - ramp
            let extrapolation = 1 / positionFrequencies[i]
            let interpolation = 1 / (factorF * positionFrequencies[i])
            return interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor
        }
    }

    /// YaRN's `0.1 * mscale * ln(scale) + 1` (1 when scale <= 1).
    static func mscale(_ scale: Double, _ mscale: Double) -> Double {
        scale <= 1 ? 1 : 0.1 * mscale * log(scale) + 1
    }

    /// cos and sin tables [positions, ropeDim / 2], already multiplied by the attention factor, in the
    /// row layout `Kernels.applyRotary` reads (row p = angles p * inverseFrequencies).
    public func tables(positions: Int) -> (cos: [Float], sin: [Float]) {
        let half = ropeDim / 2
        var cosTable = [Float](repeating: 0, count: positions * half)
        var sinTable = [Float](repeating: 0, count: positions * half)
        for p in 0..<positions {
            for i in 0..<half {
                let angle = Float(p) * inverseFrequencies[i]
                cosTable[p * half + i] = cosf(angle) * attentionFactor
                sinTable[p * half + i] = sinf(angle) * attentionFactor
            }
        }
        return (cosTable, sinTable)
    }
}
