import Testing
import TestSupport
@testable import Autograd

/// Gradient check for a tape op: runs `build` on trainable inputs, back-propagates a random output
/// gradient R, and compares each input's gradient with central differences of sum(output * R)
/// computed by rerunning `build` on constants (which records nothing).
func checkOpGradients(_ name: String, inputs: [Tensor], step: Float = GradientCheck.step,
                      sourceLocation: SourceLocation = #_sourceLocation,
                      _ build: (Tape, [Variable]) -> Variable) {
    let variables = inputs.map { Variable.parameter($0.copy()) }
    let tape = Tape()
    let output = build(tape, variables)
    let seed = Tensor(shape: output.shape, values: GradientCheck.random(output.count, seed: 99))
    tape.backward(from: output, seed: seed)
    #expect(tape.recordCount == 0, "\(name): graph not freed", sourceLocation: sourceLocation)
    for (index, input) in inputs.enumerated() {
        let numerical = GradientCheck.numerical(input.array, step: step) { values in
            let probe = inputs.enumerated().map { Variable.constant($0.offset == index ? Tensor(shape: input.shape, values: values) : $0.element) }
            return GradientCheck.dot(build(Tape(), probe).value.array, seed.array)
        }
        let actual = variables[index].gradient?.array ?? [Float](repeating: 0, count: input.count)
        let check = closeness(actual, numerical, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        #expect(check.passes, "\(name) input \(index) \(input.shape): \(check)", sourceLocation: sourceLocation)
    }
}

/// A deterministic tensor with values in [-scale, scale).
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    Tensor(shape: shape, values: GradientCheck.random(shape.reduce(1, *), seed: seed, scale: scale))
}
