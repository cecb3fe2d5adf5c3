/// A tensor in the autograd graph: its value, and the gradient of the loss with respect to it once
/// `Tape.backward` has run.
///
/// A leaf made with `parameter` is trainable; one made with `constant` or `frozen` gets no gradient
/// buffer, and ops skip every product whose only use would be its gradient (a frozen base weight
/// still passes dX to its input, but no dW GEMM is run). An op's result requires a gradient when
/// any of its inputs does.
public final class Variable: CustomStringConvertible {
    public let value: Tensor
    /// dLoss/dValue, accumulated by backward; nil until something flows into it.
    public internal(set) var gradient: Tensor?
    /// Whether gradients flow into this variable (false for frozen weights and constants).
    public private(set) var requiresGradient: Bool
    /// True for variables created directly (parameters, inputs); false for op results, whose
    /// gradients are released once backward has used them.
    public let isLeaf: Bool

    init(value: Tensor, requiresGradient: Bool, isLeaf: Bool) {
        self.value = value
        self.requiresGradient = requiresGradient
        self.isLeaf = isLeaf
    }

    /// A trainable leaf: backward accumulates its gradient.
    public static func parameter(_ value: Tensor) -> Variable {
        Variable(value: value, requiresGradient: true, isLeaf: true)
    }

    /// A leaf with no gradient: inputs, labels, frozen base weights.
    public static func constant(_ value: Tensor) -> Variable {
        Variable(value: value, requiresGradient: false, isLeaf: true)
    }

    /// Frozen leaves get no gradient buffer; freezing drops any gradient already held.
    public var isFrozen: Bool {
        get { !requiresGradient }
        set {
            precondition(isLeaf, "only leaf variables can be frozen or unfrozen")
            requiresGradient = !newValue
            if newValue { gradient = nil }
        }
    }

    public var shape: [Int] { value.shape }
    public var count: Int { value.count }

    /// The gradient buffer, allocated zero-filled on first use (ops accumulate into it).
    public func gradientPointer() -> UnsafeMutablePointer<Float> {
        precondition(requiresGradient, "gradient requested for a variable that does not require one, shape \(shape)")
        if let gradient { return gradient.pointer }
        let buffer = Tensor(shape: value.shape)
        gradient = buffer
        return buffer.pointer
    }

    /// The gradient buffer when this variable needs one, nil otherwise: the `needs_input_grad` test
    /// every backward runs before computing a gradient.
    public func gradientPointerIfNeeded() -> UnsafeMutablePointer<Float>? {
        requiresGradient ? gradientPointer() : nil
    }

    /// Drops the accumulated gradient (before the next step's backward).
    public func zeroGradient() { gradient = nil }

    func releaseGradient() { gradient = nil }

    public var description: String {
        "Variable(\(shape)\(requiresGradient ? ", requires gradient" : ""))"
    }
}
