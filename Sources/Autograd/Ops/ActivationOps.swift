/// Activations and normalizations on the tape, each a forward/backward kernel pair.
extension Tape {
    public func silu(_ x: Variable) -> Variable {
        let y = Tensor(shape: x.shape)
        Kernels.siluForward(x.value.pointer, count: x.count, output: y.pointer)
        let output = result(y, inputs: [x])
        record(output) { g in
            if let dx = x.gradientPointerIfNeeded() {
                Kernels.siluBackward(x.value.pointer, outputGradient: g.pointer, count: x.count, inputGradient: dx)
            }
        }
        return output
    }

    public func sigmoid(_ x: Variable) -> Variable {
        let y = Tensor(shape: x.shape)
        Kernels.sigmoidForward(x.value.pointer, count: x.count, output: y.pointer)
        let output = result(y, inputs: [x])
        record(output) { g in
            if let dx = x.gradientPointerIfNeeded() {
                Kernels.sigmoidBackward(output: y.pointer, outputGradient: g.pointer, count: x.count, inputGradient: dx)
            }
        }
        return output
    }

    /// silu(gate) * up, same shapes (the DeepseekV3 MLP activation).
    public func swiglu(gate: Variable, up: Variable) -> Variable {
        precondition(gate.shape == up.shape, "swiglu: gate \(gate.shape) and up \(up.shape) differ")
        let y = Tensor(shape: gate.shape)
        Kernels.swigluForward(gate: gate.value.pointer, up: up.value.pointer, count: gate.count, output: y.pointer)
        let output = result(y, inputs: [gate, up])
        record(output) { g in
            Kernels.swigluBackward(gate: gate.value.pointer, up: up.value.pointer, outputGradient: g.pointer,
                                   count: gate.count, gateGradient: gate.gradientPointerIfNeeded(),
                                   upGradient: up.gradientPointerIfNeeded())
        }
        return output
    }

    /// Softmax over the last dimension.
    public func softmax(_ x: Variable) -> Variable {
        let rows = x.value.rows, columns = x.value.columns
        let y = Tensor(shape: x.shape)
        Kernels.softmaxRowsForward(x.value.pointer, rows: rows, columns: columns, output: y.pointer)
        let output = result(y, inputs: [x])
        record(output) { g in
            if let dx = x.gradientPointerIfNeeded() {
                Kernels.softmaxRowsBackward(output: y.pointer, outputGradient: g.pointer, rows: rows, columns: columns,
                                            inputGradient: dx)
            }
        }
        return output
    }

    /// RMSNorm over the last dimension: x [..., C], weight [C].
    public func rmsNorm(_ x: Variable, weight: Variable, eps: Float) -> Variable {
        let rows = x.value.rows, C = x.value.columns
        precondition(weight.shape == [C], "rmsNorm: weight \(weight.shape) does not match input \(x.shape)")
        let y = Tensor(shape: x.shape), inverseRMS = Tensor(shape: [rows])
        Kernels.rmsNormForward(x.value.pointer, weight: weight.value.pointer, rows: rows, dim: C, eps: eps,
                               output: y.pointer, inverseRMS: inverseRMS.pointer)
        let output = result(y, inputs: [x, weight])
        record(output) { g in
            let weightGradient = weight.gradientPointerIfNeeded()
            if let dx = x.gradientPointerIfNeeded() {
                Kernels.rmsNormBackward(x.value.pointer, weight: weight.value.pointer, inverseRMS: inverseRMS.pointer,
                                        outputGradient: g.pointer, rows: rows, dim: C, inputGradient: dx,
                                        weightGradient: weightGradient)
            } else if let weightGradient {
                // Only the weight is trainable: the kernel needs somewhere to put dx, so use scratch.
                let scratch = Tensor(shape: x.shape)
                Kernels.rmsNormBackward(x.value.pointer, weight: weight.value.pointer, inverseRMS: inverseRMS.pointer,
                                        outputGradient: g.pointer, rows: rows, dim: C, inputGradient: scratch.pointer,
                                        weightGradient: weightGradient)
            }
        }
        return output
    }
}
