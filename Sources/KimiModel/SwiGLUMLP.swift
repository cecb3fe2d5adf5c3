import Autograd

/// `down(silu(gate(x)) * up(x))`: the dense MLP of the first layers, the shared experts, and each
/// routed expert. Backward recomputes the intermediate activations from x instead of saving them,
/// so a layer's experts never hold their [tokens, intermediate] activations between passes.
public final class SwiGLUMLP {
    public let gate: FrozenProjection
    public let up: FrozenProjection
    public let down: FrozenProjection

    public init(gate: FrozenProjection, up: FrozenProjection, down: FrozenProjection) {
        precondition(gate.inFeatures == up.inFeatures && gate.outFeatures == up.outFeatures
                     && down.inFeatures == gate.outFeatures && down.outFeatures == gate.inFeatures,
                     "SwiGLU shapes: gate \(gate.outFeatures)x\(gate.inFeatures), up \(up.outFeatures)x\(up.inFeatures), down \(down.outFeatures)x\(down.inFeatures)")
        self.gate = gate; self.up = up; self.down = down
    }

    public var hiddenSize: Int { gate.inFeatures }
    public var intermediateSize: Int { gate.outFeatures }

    // Legend: n = rows (tokens), C = hiddenSize, I = intermediateSize.

    /// y [n, C] = down(silu(gate(x)) * up(x)) for x [n, C]; `accumulate` adds into y.
    public func forward(_ x: UnsafePointer<Float>, rows n: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        let a = activations(x, rows: n).activation
        down.forward(a.pointer, rows: n, into: y, accumulate: accumulate)
    }

    /// Runs the forward up to the activation: g, u, a = silu(g) * u, each [n, I].
    private func activations(_ x: UnsafePointer<Float>, rows n: Int) -> (gate: Tensor, up: Tensor, activation: Tensor) {
        let I = intermediateSize
        let g = Tensor(shape: [n, I]), u = Tensor(shape: [n, I]), a = Tensor(shape: [n, I])
        gate.forward(x, rows: n, into: g.pointer)              // g [n, I]
        up.forward(x, rows: n, into: u.pointer)                // u [n, I]
        Kernels.swigluForward(gate: g.pointer, up: u.pointer, count: n * I, output: a.pointer)  // a [n, I]
        return (g, u, a)
    }

    /// dx [n, C] += d(y)/d(x)^T dy for dy [n, C]. When `output` is given, the recomputed y [n, C]
    /// is written there too (the MoE block needs it for the routing-weight gradient).
    public func backward(_ x: UnsafePointer<Float>, rows n: Int, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>, recomputedOutput: UnsafeMutablePointer<Float>? = nil) {
        let I = intermediateSize
        let (g, u, a) = activations(x, rows: n)
        if let y = recomputedOutput { down.forward(a.pointer, rows: n, into: y) }
        // Backward in reverse order of forward.
        let da = Tensor(shape: [n, I])
        down.backward(a.pointer, rows: n, outputGradient: dy, inputGradient: da.pointer)   // da [n, I]
        let dg = Tensor(shape: [n, I]), du = Tensor(shape: [n, I])
        Kernels.swigluBackward(gate: g.pointer, up: u.pointer, outputGradient: da.pointer, count: n * I,
                               gateGradient: dg.pointer, upGradient: du.pointer)           // dg, du [n, I]
        up.backward(x, rows: n, outputGradient: du.pointer, inputGradient: dx)             // dx [n, C] +=
        gate.backward(x, rows: n, outputGradient: dg.pointer, inputGradient: dx)           // dx [n, C] +=
    }
}
