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
    for parameter in parameters { sumOfSquares += sumOfSquaresInFixedBlocks(parameter.gradient) }
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


/// Sum of squares of a tensor in Double, over fixed 32K-element blocks summed in block order: the
/// blocks run in parallel, yet the result does not depend on the thread count (a resumed run on
/// another machine clips identically).
private func sumOfSquaresInFixedBlocks(_ tensor: Tensor) -> Double {
    let blockSize = 32_768
    let blocks = (tensor.count + blockSize - 1) / blockSize
    guard blocks > 0 else { return 0 }
    let g = tensor.pointer
    let partials = UnsafeMutableBufferPointer<Double>.allocate(capacity: blocks)
    defer { partials.deallocate() }
    Parallel.forEachChunk(blocks, cost: blockSize) { range in
        for block in range {
            var sum = 0.0
            for i in (block * blockSize)..<min(tensor.count, (block + 1) * blockSize) { sum += Double(g[i]) * Double(g[i]) }
            partials[block] = sum
        }
    }
    return partials.reduce(0, +)
}
