/// What the training loop needs from an optimizer: one update of every parameter from its
/// gradient at a given learning rate (the schedule owns the rate), and its state for checkpoints.
public protocol Optimizer: AnyObject {
    var parameters: [TrainableParameter] { get }
    /// Updates taken so far (torch's per-parameter `step`, the same for all parameters here).
    var stepCount: Int { get }
    /// Applies one update with `learningRate`, reading each parameter's gradient.
    func step(learningRate: Double)
    /// Moments / momentum buffers as named Float32 arrays plus the step count, for resume.
    func exportState() -> OptimizerState
    /// Restores what `exportState` produced; throws when a buffer is missing or has the wrong size.
    func importState(_ state: OptimizerState) throws(OptimizerStateError)
}

/// One named Float32 buffer of optimizer state, e.g. `layers.0.q_proj.lora_A.exp_avg`.
public struct NamedBuffer: Sendable, Equatable {
    public let name: String
    public let values: [Float]
    public init(name: String, values: [Float]) {
        self.name = name
        self.values = values
    }
}

/// Everything an optimizer needs to continue exactly where it stopped: the step count (for Adam's
/// bias correction) and its per-parameter buffers, named `<parameter>.<buffer>` as torch's
/// state_dict keys them (`exp_avg`, `exp_avg_sq`, `momentum_buffer`).
public struct OptimizerState: Sendable, Equatable {
    public var step: Int
    public var buffers: [NamedBuffer]
    public init(step: Int, buffers: [NamedBuffer]) {
        self.step = step
        self.buffers = buffers
    }

    public func buffer(_ name: String) -> NamedBuffer? { buffers.first { $0.name == name } }
}

/// A saved optimizer state that does not fit the parameters being trained (a checkpoint from a
/// different recipe, or a damaged file).
public enum OptimizerStateError: Error, CustomStringConvertible, Sendable, Equatable {
    case missingBuffer(String)
    case wrongSize(buffer: String, expected: Int, found: Int)
    case negativeStep(Int)

    public var description: String {
        switch self {
        case .missingBuffer(let name): "optimizer state has no buffer '\(name)'"
        case .wrongSize(let name, let expected, let found): "optimizer state buffer '\(name)' has \(found) values, expected \(expected)"
        case .negativeStep(let step): "optimizer state step \(step) is negative"
        }
    }
}

extension OptimizerState {
    /// Copies buffer `name` into `destination` after checking its size.
    func restore(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws(OptimizerStateError) {
        guard let buffer = buffer(name) else { throw .missingBuffer(name) }
        guard buffer.values.count == count else { throw .wrongSize(buffer: name, expected: count, found: buffer.values.count) }
        buffer.values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: count) }
    }
}
