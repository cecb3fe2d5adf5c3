import Autograd

/// One trainable tensor as optimizers see it: a name (for state files and logs), the values the
/// optimizer updates in place, and the gradient the backward pass accumulated into.
///
/// Only LoRA parameters are ever listed: the frozen base has no gradients, so optimizer state
/// stays proportional to the adapter, as in llm.c's flat parameter arrays.
public struct TrainableParameter: @unchecked Sendable {
    public let name: String
    public let value: Tensor
    public let gradient: Tensor

    public init(name: String, value: Tensor, gradient: Tensor) {
        precondition(value.count == gradient.count, "\(name): value \(value.shape) and gradient \(gradient.shape) differ")
        self.name = name
        self.value = value
        self.gradient = gradient
    }
}

/// Zeroes every gradient; the loop calls this after each optimizer step (gradients accumulate
/// across micro-batches with `+=`, so they must start from zero).
public func zeroGradients(_ parameters: [TrainableParameter]) {
    for parameter in parameters { parameter.gradient.fill(0) }
}
