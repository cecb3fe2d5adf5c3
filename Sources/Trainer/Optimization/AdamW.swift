import Autograd
import Foundation

/// AdamW exactly as torch.optim.AdamW (single-tensor path, amsgrad off): decoupled weight decay
/// `p *= 1 - lr*wd` before the update, moments by `lerp`/`addcmul`, bias corrections computed in
/// Double, and `eps` added outside the square root after dividing by sqrt(bias_correction2).
/// Scalars are rounded to Float where torch rounds them, so trajectories match to float precision.
public final class AdamW: Optimizer {
    public let parameters: [TrainableParameter]
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    public private(set) var stepCount = 0
    /// First and second moments, one flat buffer per parameter (torch's exp_avg, exp_avg_sq).
    private let firstMoments: [Tensor]
    private let secondMoments: [Tensor]

    public init(parameters: [TrainableParameter], beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0.0) {
        self.parameters = parameters
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoments = parameters.map { Tensor(shape: [$0.value.count]) }
        secondMoments = parameters.map { Tensor(shape: [$0.value.count]) }
    }

    public func step(learningRate: Double) {
        stepCount += 1
        let step = Double(stepCount)
        let biasCorrection1 = 1 - pow(beta1, step)
        let biasCorrection2 = 1 - pow(beta2, step)
        let constants = AdamWConstants(
            decay: Float(1 - learningRate * weightDecay),
            lerpWeight: Float(1 - beta1),
            beta2: Float(beta2),
            oneMinusBeta2: Float(1 - beta2),
            biasCorrection2Sqrt: Float(biasCorrection2.squareRoot()),
            epsilon: Float(epsilon),
            negativeStepSize: Float(-(learningRate / biasCorrection1)),
            applyDecay: weightDecay != 0)
        for (k, parameter) in parameters.enumerated() {
            adamWUpdate(parameter: parameter.value.pointer, gradient: parameter.gradient.pointer,
                        firstMoment: firstMoments[k].pointer, secondMoment: secondMoments[k].pointer,
                        count: parameter.value.count, constants)
        }
    }

    public func exportState() -> OptimizerState {
        var buffers: [NamedBuffer] = []
        for (k, parameter) in parameters.enumerated() {
            buffers.append(NamedBuffer(name: "\(parameter.name).exp_avg", values: firstMoments[k].array))
            buffers.append(NamedBuffer(name: "\(parameter.name).exp_avg_sq", values: secondMoments[k].array))
        }
        return OptimizerState(step: stepCount, buffers: buffers)
    }

    public func importState(_ state: OptimizerState) throws(OptimizerStateError) {
        guard state.step >= 0 else { throw .negativeStep(state.step) }
        for (k, parameter) in parameters.enumerated() {
            try state.restore("\(parameter.name).exp_avg", into: firstMoments[k].pointer, count: parameter.value.count)
            try state.restore("\(parameter.name).exp_avg_sq", into: secondMoments[k].pointer, count: parameter.value.count)
        }
        stepCount = state.step
    }
}

/// Per-step scalars of the AdamW update, already rounded to Float as torch's kernels use them.
struct AdamWConstants: Sendable {
    let decay: Float
    let lerpWeight: Float
    let beta2: Float
    let oneMinusBeta2: Float
    let biasCorrection2Sqrt: Float
    let epsilon: Float
    let negativeStepSize: Float
    let applyDecay: Bool
}

/// One AdamW update over a flat buffer (p, g, m, v all `count` long), split across cores.
func adamWUpdate(parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>,
                 firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
                 count: Int, _ c: AdamWConstants) {
    Parallel.forEachChunk(count, cost: 8) { range in
        for i in range {
            if c.applyDecay { p[i] *= c.decay }
            let grad = g[i]
            // torch's lerp: self + w*(end-self) for |w| < 0.5, else end - (end-self)*(1-w).
            m[i] = c.lerpWeight < 0.5 ? m[i] + c.lerpWeight * (grad - m[i]) : grad - (grad - m[i]) * (1 - c.lerpWeight)
            v[i] = v[i] * c.beta2 + c.oneMinusBeta2 * (grad * grad)
            let denominator = v[i].squareRoot() / c.biasCorrection2Sqrt + c.epsilon
            p[i] += c.negativeStepSize * (m[i] / denominator)
        }
    }
}
