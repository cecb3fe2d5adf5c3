import Autograd

/// SGD exactly as torch.optim.SGD: L2 weight decay added to the gradient, an optional momentum
/// buffer that starts as a copy of the first gradient, dampening, and Nesterov's look-ahead.
public final class SGD: Optimizer {
    public let parameters: [TrainableParameter]
    public let momentum: Double
    public let dampening: Double
    public let weightDecay: Double
    public let nesterov: Bool
    public private(set) var stepCount = 0
    /// torch creates the momentum buffer at the first step; before it, there is no state to save.
    private let momentumBuffers: [Tensor]

    public init(parameters: [TrainableParameter], momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        self.parameters = parameters
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        momentumBuffers = momentum == 0 ? [] : parameters.map { Tensor(shape: [$0.value.count]) }
    }

    public func step(learningRate: Double) {
        let isFirstStep = stepCount == 0
        stepCount += 1
        let negativeRate = Float(-learningRate), decay = Float(weightDecay)
        let mu = Float(momentum), oneMinusDampening = Float(1 - dampening)
        for (k, parameter) in parameters.enumerated() {
            let p = parameter.value.pointer, g = parameter.gradient.pointer
            let buffer = momentum == 0 ? nil : momentumBuffers[k].pointer
            let nesterov = self.nesterov, applyDecay = weightDecay != 0
            Parallel.forEachChunk(parameter.value.count, cost: 4) { range in
                for i in range {
                    var d = g[i]
                    if applyDecay { d += decay * p[i] }
                    if let b = buffer {
                        b[i] = isFirstStep ? d : b[i] * mu + oneMinusDampening * d
                        d = nesterov ? d + mu * b[i] : b[i]
                    }
                    p[i] += negativeRate * d
                }
            }
        }
    }

    public func exportState() -> OptimizerState {
        guard momentum != 0, stepCount > 0 else { return OptimizerState(step: stepCount, buffers: []) }
        let buffers = parameters.enumerated().map { k, parameter in
            NamedBuffer(name: "\(parameter.name).momentum_buffer", values: momentumBuffers[k].array)
        }
        return OptimizerState(step: stepCount, buffers: buffers)
    }

    public func importState(_ state: OptimizerState) throws(OptimizerStateError) {
        guard state.step >= 0 else { throw .negativeStep(state.step) }
        if momentum != 0 && state.step > 0 {
            for (k, parameter) in parameters.enumerated() {
                try state.restore("\(parameter.name).momentum_buffer", into: momentumBuffers[k].pointer, count: parameter.value.count)
            }
        }
        stepCount = state.step
    }
}
