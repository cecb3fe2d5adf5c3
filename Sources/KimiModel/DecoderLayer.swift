import Autograd

/// The feed-forward half of a decoder layer: a dense SwiGLU MLP (layers below first_k_dense_replace)
/// or a MoE block.
public enum FeedForward {
    case dense(SwiGLUMLP)
    case moe(MoEBlock)

    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        switch self {
        case .dense(let mlp): mlp.forward(x, rows: rows, into: y)
        case .moe(let block): block.forward(x, rows: rows, into: y)
        }
    }

    func backward(_ x: UnsafePointer<Float>, rows: Int, outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>) {
        switch self {
        case .dense(let mlp): mlp.backward(x, rows: rows, outputGradient: dy, inputGradient: dx)
        case .moe(let block): block.backward(x, rows: rows, outputGradient: dy, inputGradient: dx)
        }
    }
}

/// Where a layer reads its per-batch inputs: positions, segment ids and the rotary tables.
public struct LayerContext {
    let tokens: Int
    let positions: UnsafePointer<Int32>
    let segmentIds: UnsafePointer<Int32>
    let rotary: RotaryCache
}

/// One decoder layer: h = x + attn(norm1(x)); y = h + ffn(norm2(h)).
///
/// Backward takes only the layer input x: it recomputes the attention forward (activation
/// checkpointing), so between forward and backward a layer holds nothing but its input. The
/// feed-forward recomputes its own intermediates inside its backward.
public final class DecoderLayer {
    public let index: Int
    public let inputNorm: RMSNormWeight
    public let attention: MLAttention
    public let postAttentionNorm: RMSNormWeight
    public let feedForward: FeedForward

    public init(index: Int, inputNorm: RMSNormWeight, attention: MLAttention, postAttentionNorm: RMSNormWeight, feedForward: FeedForward) {
        self.index = index; self.inputNorm = inputNorm; self.attention = attention
        self.postAttentionNorm = postAttentionNorm; self.feedForward = feedForward
    }

    /// Everything the layer's backward needs besides its input.
    public struct Activations {
        let normed: Tensor                 // [T, C] norm1(x)
        let normedInverseRMS: Tensor       // [T]
        let attention: MLAttention.Activations
        let hidden: Tensor                 // [T, C] h = x + attn
        let postNormed: Tensor             // [T, C] norm2(h)
        let postInverseRMS: Tensor         // [T]
    }

    /// y [T, C] from x [T, C]; returns the activations (the caller drops them when checkpointing).
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, context: LayerContext, into y: UnsafeMutablePointer<Float>) -> Activations {
        let T = context.tokens, C = inputNorm.dim
        let a = recompute(x, context: context)
        feedForward.forward(a.postNormed.pointer, rows: T, into: y)
        Kernels.axpy(alpha: 1, a.hidden.pointer, count: T * C, y: y)                        // y = h + ffn
        return a
    }

    /// Runs the layer up to the feed-forward input: what forward needs first and all backward needs
    /// (the feed-forward recomputes its own intermediates).
    public func recompute(_ x: UnsafePointer<Float>, context: LayerContext) -> Activations {
        let T = context.tokens, C = inputNorm.dim
        let normed = Tensor(shape: [T, C]), inverse = Tensor(shape: [T])
        inputNorm.forward(x, rows: T, output: normed.pointer, inverseRMS: inverse.pointer)
        let hidden = Tensor(shape: [T, C])
        let saved = attention.forward(normed.pointer, tokens: T, positions: context.positions, segmentIds: context.segmentIds,
                                      rotary: context.rotary, into: hidden.pointer)
        Kernels.axpy(alpha: 1, x, count: T * C, y: hidden.pointer)                          // h = x + attn
        let postNormed = Tensor(shape: [T, C]), postInverse = Tensor(shape: [T])
        postAttentionNorm.forward(hidden.pointer, rows: T, output: postNormed.pointer, inverseRMS: postInverse.pointer)
        return Activations(normed: normed, normedInverseRMS: inverse, attention: saved, hidden: hidden,
                           postNormed: postNormed, postInverseRMS: postInverse)
    }

    /// dx [T, C] = J^T dy (overwritten), from the layer input x and its activations (recomputed
    /// when nil).
    public func backward(_ x: UnsafePointer<Float>, context: LayerContext, saved: Activations?,
                         outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>) {
        let T = context.tokens, C = inputNorm.dim
        let a = saved ?? recompute(x, context: context)
        // y = h + ffn(norm2(h)): dh = dy + norm2^T ffn^T dy.
        let dPostNormed = Tensor(shape: [T, C])
        feedForward.backward(a.postNormed.pointer, rows: T, outputGradient: dy, inputGradient: dPostNormed.pointer)
        let dHidden = Tensor(shape: [T, C])
        dHidden.pointer.update(from: dy, count: T * C)
        postAttentionNorm.backward(a.hidden.pointer, rows: T, inverseRMS: a.postInverseRMS.pointer,
                                   outputGradient: dPostNormed.pointer, inputGradient: dHidden.pointer)
        // h = x + attn(norm1(x)): dx = dh + norm1^T attn^T dh.
        let dNormed = Tensor(shape: [T, C])
        attention.backward(a.normed.pointer, tokens: T, positions: context.positions, segmentIds: context.segmentIds,
                           rotary: context.rotary, saved: a.attention, outputGradient: dHidden.pointer, inputGradient: dNormed.pointer)
        dx.update(from: dHidden.pointer, count: T * C)
        inputNorm.backward(x, rows: T, inverseRMS: a.normedInverseRMS.pointer, outputGradient: dNormed.pointer, inputGradient: dx)
    }
}
