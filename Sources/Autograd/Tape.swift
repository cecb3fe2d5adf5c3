/// Records operations as they run and replays their backward closures in reverse.
///
/// Recording order is already a topological order (an op runs after its inputs exist), so the
/// backward pass is the records reversed. Each closure reads its output's gradient and ACCUMULATES
/// into the inputs that need one. After backward the records are dropped, which frees every saved
/// activation, and intermediate gradients are released as soon as they have been consumed.
/// Ops whose inputs need no gradient record nothing, so inference and frozen subgraphs cost no memory.
public final class Tape {
    struct Record {
        let output: Variable
        let backward: (Tensor) -> Void
    }

    private var records: [Record] = []

    public init() {}

    /// Operations currently held for backward.
    public var recordCount: Int { records.count }

    /// Makes an op's result; it requires a gradient when any input does.
    func result(_ value: Tensor, inputs: [Variable]) -> Variable {
        Variable(value: value, requiresGradient: inputs.contains { $0.requiresGradient }, isLeaf: false)
    }

    /// Registers `backward(outputGradient)` for `output` when it takes part in differentiation.
    func record(_ output: Variable, backward: @escaping (Tensor) -> Void) {
        guard output.requiresGradient else { return }
        records.append(Record(output: output, backward: backward))
    }

    /// Adds an operation defined outside this module (a fused LoRA projection, an INT4 linear
    /// that dequantizes on the fly): `value` is its already computed result, `inputs` the variables
    /// it read, and `backward(outputGradient)` must ACCUMULATE into the inputs'
    /// `gradientPointerIfNeeded()` buffers. Records nothing when no input needs a gradient.
    public func operation(_ value: Tensor, inputs: [Variable], backward: @escaping (Tensor) -> Void) -> Variable {
        let output = result(value, inputs: inputs)
        record(output, backward: backward)
        return output
    }

    /// Back-propagates from `output`, seeding its gradient with `seed` (default: ones, i.e. d loss /
    /// d loss = 1 for a scalar loss), then frees the graph.
    public func backward(from output: Variable, seed: Tensor? = nil) {
        precondition(output.requiresGradient, "backward from \(output): nothing in its graph requires a gradient")
        let start = output.gradientPointer()
        if let seed {
            precondition(seed.count == output.count, "backward seed shape \(seed.shape) != output shape \(output.shape)")
            Kernels.axpy(alpha: 1, seed.pointer, count: seed.count, y: start)
        } else {
            for i in 0..<output.count { start[i] += 1 }
        }
        for record in records.reversed() {
            guard let gradient = record.output.gradient else { continue }  // not on a path to `output`
            record.backward(gradient)
            if !record.output.isLeaf { record.output.releaseGradient() }
        }
        records.removeAll()
    }

    /// Drops the recorded graph without running backward (after an evaluation forward pass).
    public func reset() { records.removeAll() }
}
