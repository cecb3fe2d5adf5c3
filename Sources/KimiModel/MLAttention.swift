import Autograd
import Storage

/// Multi-head latent attention (DeepseekV3 / Kimi), as transformers' `DeepseekV3Attention`:
/// queries through q_a_proj -> q_a_layernorm -> q_b_proj (or a plain q_proj without q_lora_rank);
/// keys and values from a compressed latent (kv_a_proj_with_mqa -> kv_a_layernorm -> kv_b_proj)
/// plus one rope key shared by all heads; rotary on the rope parts only; causal attention within
/// segments; o_proj.
///
/// Rotary: transformers' interleaved variant rotates pairs (x[2i], x[2i+1]) and writes the result
/// de-interleaved; we rotate in place. Both q and k get the same permutation, so q . k (all attention
/// ever uses of them) is identical.
public final class MLAttention {
    public let qAProjection: FrozenProjection?
    public let qANorm: RMSNormWeight?
    public let qBProjection: FrozenProjection?
    /// Only when the config has no q_lora_rank.
    public let qProjection: FrozenProjection?
    public let kvAProjection: FrozenProjection
    public let kvANorm: RMSNormWeight
    public let kvBProjection: FrozenProjection
    public let oProjection: FrozenProjection

    public let heads: Int
    public let nopeDim: Int
    public let ropeDim: Int
    public let valueDim: Int
    public let latentRank: Int
    public let hiddenSize: Int
    public let softmaxScale: Float
    public let rotaryLayout: RotaryLayout

    public init(config: KimiConfig, qAProjection: FrozenProjection?, qANorm: RMSNormWeight?, qBProjection: FrozenProjection?,
                qProjection: FrozenProjection?, kvAProjection: FrozenProjection, kvANorm: RMSNormWeight,
                kvBProjection: FrozenProjection, oProjection: FrozenProjection, softmaxScale: Float) {
        precondition((qProjection == nil) != (qBProjection == nil), "attention needs either q_proj or q_a/q_b")
        self.qAProjection = qAProjection; self.qANorm = qANorm; self.qBProjection = qBProjection
        self.qProjection = qProjection; self.kvAProjection = kvAProjection; self.kvANorm = kvANorm
        self.kvBProjection = kvBProjection; self.oProjection = oProjection
        heads = config.numAttentionHeads; nopeDim = config.qkNopeHeadDim; ropeDim = config.qkRopeHeadDim
        valueDim = config.vHeadDim; latentRank = config.kvLoraRank; hiddenSize = config.hiddenSize
        self.softmaxScale = softmaxScale
        rotaryLayout = config.ropeInterleave ? .interleaved : .halfSplit
    }

    var qkDim: Int { nopeDim + ropeDim }

    /// What backward needs from forward. Legend: T tokens, H heads, D = nope + rope, r = kv_lora_rank,
    /// R = q_lora_rank, V = v_head_dim.
    public struct Activations {
        var qa: Tensor?            // [T, R] q_a_proj output
        var qaInverseRMS: Tensor?  // [T]
        var qaNormed: Tensor?      // [T, R]
        var q: Tensor              // [T, H, D] after rotary
        var latent: Tensor         // [T, r] before kv_a_layernorm
        var latentInverseRMS: Tensor  // [T]
        var latentNormed: Tensor   // [T, r]
        var k: Tensor              // [T, H, D] after rotary (rope part shared by heads)
        var v: Tensor              // [T, H, V]
        var attention: Tensor      // [T, H, V] attention output (o_proj input)
        var logSumExp: Tensor      // [H, T]
    }

    /// Rotates (or, with `inverse`, un-rotates: the backward) q's rope part in every head [T, H, D]
    /// at offset qk_nope_head_dim, and the shared rope key [T, dr].
    private func rotate(_ q: UnsafeMutablePointer<Float>, sharedRopeKey: UnsafeMutablePointer<Float>, tokens T: Int,
                        positions: UnsafePointer<Int32>, rotary: RotaryCache, inverse: Bool) {
        let H = heads, D = qkDim, dn = nopeDim, dr = ropeDim
        rotary.cos.withUnsafeBufferPointer { cos in
            rotary.sin.withUnsafeBufferPointer { sin in
                Kernels.applyRotary(q, tokens: T, heads: H, tokenStride: H * D, headStride: D, offset: dn,
                                    ropeDim: dr, positions: positions, cos: cos.baseAddress!, sin: sin.baseAddress!,
                                    layout: rotaryLayout, inverse: inverse)
                Kernels.applyRotary(sharedRopeKey, tokens: T, heads: 1, tokenStride: dr, headStride: dr, offset: 0,
                                    ropeDim: dr, positions: positions, cos: cos.baseAddress!, sin: sin.baseAddress!,
                                    layout: rotaryLayout, inverse: inverse)
            }
        }
    }

    /// y [T, C] = attention(x [T, C]); returns what backward needs.
    public func forward(_ x: UnsafePointer<Float>, tokens T: Int, positions: UnsafePointer<Int32>,
                        segmentIds: UnsafePointer<Int32>, rotary: RotaryCache, into y: UnsafeMutablePointer<Float>) -> Activations {
        let H = heads, D = qkDim, dn = nopeDim, dr = ropeDim, V = valueDim, r = latentRank
        // Queries.
        let q = Tensor(shape: [T, H, D])
        var qa: Tensor?, qaInverse: Tensor?, qaNormed: Tensor?
        if let qAProjection, let qANorm, let qBProjection {
            let R = qAProjection.outFeatures
            let a = Tensor(shape: [T, R]), inv = Tensor(shape: [T]), n = Tensor(shape: [T, R])
            qAProjection.forward(x, rows: T, into: a.pointer)                           // qa [T, R]
            qANorm.forward(a.pointer, rows: T, output: n.pointer, inverseRMS: inv.pointer)  // qa normed [T, R]
            qBProjection.forward(n.pointer, rows: T, into: q.pointer)                   // q [T, H*D]
            qa = a; qaInverse = inv; qaNormed = n
        } else {
            qProjection!.forward(x, rows: T, into: q.pointer)                           // q [T, H*D]
        }
        // Compressed keys/values: [T, r + dr] = latent | shared rope key.
        let compressed = Tensor(shape: [T, r + dr])
        kvAProjection.forward(x, rows: T, into: compressed.pointer)
        let latent = Tensor(shape: [T, r]), sharedRopeKey = Tensor(shape: [T, dr])
        for t in 0..<T {
            (latent.pointer + t * r).update(from: compressed.pointer + t * (r + dr), count: r)
            (sharedRopeKey.pointer + t * dr).update(from: compressed.pointer + t * (r + dr) + r, count: dr)
        }
        let latentInverse = Tensor(shape: [T]), latentNormed = Tensor(shape: [T, r])
        kvANorm.forward(latent.pointer, rows: T, output: latentNormed.pointer, inverseRMS: latentInverse.pointer)
        let kv = Tensor(shape: [T, H, dn + V])
        kvBProjection.forward(latentNormed.pointer, rows: T, into: kv.pointer)          // kv [T, H*(dn+V)]

        // Rotary on q's rope part (per head) and on the shared rope key.
        rotate(q.pointer, sharedRopeKey: sharedRopeKey.pointer, tokens: T, positions: positions, rotary: rotary, inverse: false)
        // k [T, H, D] = k_nope | shared rope key; v [T, H, V].
        let k = Tensor(shape: [T, H, D]), v = Tensor(shape: [T, H, V])
        for t in 0..<T {
            for h in 0..<H {
                let src = kv.pointer + (t * H + h) * (dn + V)
                let kRow = k.pointer + (t * H + h) * D
                kRow.update(from: src, count: dn)
                (kRow + dn).update(from: sharedRopeKey.pointer + t * dr, count: dr)
                (v.pointer + (t * H + h) * V).update(from: src + dn, count: V)
            }
        }
        let attention = Tensor(shape: [T, H, V]), logSumExp = Tensor(shape: [H, T])
        Kernels.causalAttentionForward(q: q.pointer, k: k.pointer, v: v.pointer, tokens: T, heads: H, qkDim: D, vDim: V,
                                       scale: softmaxScale, segmentIds: segmentIds, output: attention.pointer,
                                       logSumExp: logSumExp.pointer)
        oProjection.forward(attention.pointer, rows: T, into: y)                      // y [T, C]
        return Activations(qa: qa, qaInverseRMS: qaInverse, qaNormed: qaNormed, q: q, latent: latent,
                           latentInverseRMS: latentInverse, latentNormed: latentNormed, k: k, v: v,
                           attention: attention, logSumExp: logSumExp)
    }

    /// dx [T, C] += J^T dy, in reverse order of forward.
    public func backward(_ x: UnsafePointer<Float>, tokens T: Int, positions: UnsafePointer<Int32>,
                         segmentIds: UnsafePointer<Int32>, rotary: RotaryCache, saved: Activations,
                         outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>) {
        let H = heads, D = qkDim, dn = nopeDim, dr = ropeDim, V = valueDim, r = latentRank
        let dAttention = Tensor(shape: [T, H, V])
        oProjection.backward(saved.attention.pointer, rows: T, outputGradient: dy, inputGradient: dAttention.pointer)
        let dq = Tensor(shape: [T, H, D]), dk = Tensor(shape: [T, H, D]), dv = Tensor(shape: [T, H, V])
        Kernels.causalAttentionBackward(q: saved.q.pointer, k: saved.k.pointer, v: saved.v.pointer,
                                        output: saved.attention.pointer, logSumExp: saved.logSumExp.pointer,
                                        outputGradient: dAttention.pointer, tokens: T, heads: H, qkDim: D, vDim: V,
                                        scale: softmaxScale, segmentIds: segmentIds,
                                        qGradient: dq.pointer, kGradient: dk.pointer, vGradient: dv.pointer)
        // Split dk into per-head k_nope and the shared rope key (summed over heads); dv into kv.
        let dkv = Tensor(shape: [T, H, dn + V]), dSharedRopeKey = Tensor(shape: [T, dr])
        for t in 0..<T {
            let dRope = dSharedRopeKey.pointer + t * dr
            for h in 0..<H {
                let dkRow = dk.pointer + (t * H + h) * D
                let dst = dkv.pointer + (t * H + h) * (dn + V)
                dst.update(from: dkRow, count: dn)
                (dst + dn).update(from: dv.pointer + (t * H + h) * V, count: V)
                for i in 0..<dr { dRope[i] += dkRow[dn + i] }
            }
        }
        // Rotary backward: the transpose of the (scaled) rotation.
        rotate(dq.pointer, sharedRopeKey: dSharedRopeKey.pointer, tokens: T, positions: positions, rotary: rotary, inverse: true)
        // Latent path.
        let dLatentNormed = Tensor(shape: [T, r])
        kvBProjection.backward(saved.latentNormed.pointer, rows: T, outputGradient: dkv.pointer, inputGradient: dLatentNormed.pointer)
        let dLatent = Tensor(shape: [T, r])
        kvANorm.backward(saved.latent.pointer, rows: T, inverseRMS: saved.latentInverseRMS.pointer,
                         outputGradient: dLatentNormed.pointer, inputGradient: dLatent.pointer)
        let dCompressed = Tensor(shape: [T, r + dr])
        for t in 0..<T {
            (dCompressed.pointer + t * (r + dr)).update(from: dLatent.pointer + t * r, count: r)
            (dCompressed.pointer + t * (r + dr) + r).update(from: dSharedRopeKey.pointer + t * dr, count: dr)
        }
        kvAProjection.backward(x, rows: T, outputGradient: dCompressed.pointer, inputGradient: dx)
        // Query path.
        if let qAProjection, let qANorm, let qBProjection, let qa = saved.qa, let inv = saved.qaInverseRMS, let normed = saved.qaNormed {
            let R = qAProjection.outFeatures
            let dNormed = Tensor(shape: [T, R]), dqa = Tensor(shape: [T, R])
            qBProjection.backward(normed.pointer, rows: T, outputGradient: dq.pointer, inputGradient: dNormed.pointer)
            qANorm.backward(qa.pointer, rows: T, inverseRMS: inv.pointer, outputGradient: dNormed.pointer, inputGradient: dqa.pointer)
            qAProjection.backward(x, rows: T, outputGradient: dqa.pointer, inputGradient: dx)
        } else {
            qProjection!.backward(x, rows: T, outputGradient: dq.pointer, inputGradient: dx)
        }
    }
}
