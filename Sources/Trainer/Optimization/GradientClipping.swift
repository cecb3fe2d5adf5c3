import Autograd

/// Global-norm clipping as torch.nn.utils.clip_grad_norm_ (L2): the norm over all gradients
/// together; when it exceeds `maxNorm`, every gradient is scaled by maxNorm / (norm + 1e-6).
/// Returns the norm before clipping (what transformers logs as grad_norm). The sum of squares is
/// kept in Double so millions of LoRA values do not lose precision. A non-finite norm is returned
/// unchanged and the gradients are left alone, so the loop can report and skip the step.
/// `maxNorm <= 0` only measures (LLaMA-Factory's max_grad_norm: 0 disables clipping).
@discardableResult
public func clipGradientNorm(_ parameters: [TrainableParameter], maxNorm: Double) -> Double {
    var sumOfSquares = 0.0
    for parameter in parameters {
        let g = parameter.gradient.pointer
        var partial = 0.0
        for i in 0..<parameter.gradient.count { partial += Double(g[i]) * Double(g[i]) }
        sumOfSquares += partial
    }
    let norm = sumOfSquares.squareRoot()
    guard maxNorm > 0, norm.isFinite else { return norm }
    let coefficient = maxNorm / (norm + 1e-6)
    guard coefficient < 1 else { return norm }
    let scale = Float(coefficient)
    for parameter in parameters {
        let g = parameter.gradient.pointer
        Parallel.forEachChunk(parameter.gradient.count) { range in
            for i in range { g[i] *= scale }
        }
    }
    return norm
}
