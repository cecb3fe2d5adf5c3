/// Element-wise arithmetic and reductions on the tape.
extension Tape {
    /// a + b, where b has a's shape or is one row [C] broadcast over a's rows [..., C].
    /// Backward: da += g; db += g (or its sum over rows when broadcast).
    public func add(_ a: Variable, _ b: Variable) -> Variable {
        let broadcast = a.shape != b.shape
        precondition(!broadcast || (b.value.rank == 1 && b.count == a.value.columns),
                     "add: shapes \(a.shape) and \(b.shape) are neither equal nor row-broadcastable")
        let rows = a.value.rows, C = a.value.columns
        let y = Tensor(shape: a.shape)
        if broadcast {
            let x = a.value.pointer, row = b.value.pointer, out = y.pointer
            Parallel.forEachChunk(rows, cost: C) { range in
                for r in range { for c in 0..<C { out[r * C + c] = x[r * C + c] + row[c] } }
            }
        } else {
            Kernels.add(a.value.pointer, b.value.pointer, count: a.count, output: y.pointer)
        }
        let output = result(y, inputs: [a, b])
        record(output) { g in
            if let da = a.gradientPointerIfNeeded() { Kernels.axpy(alpha: 1, g.pointer, count: g.count, y: da) }
            if let db = b.gradientPointerIfNeeded() {
                if broadcast {
                    for r in 0..<rows { Kernels.axpy(alpha: 1, g.pointer + r * C, count: C, y: db) }
                } else {
                    Kernels.axpy(alpha: 1, g.pointer, count: g.count, y: db)
                }
            }
        }
        return output
    }

    /// a * b element-wise, same shapes. Backward: da += g b; db += g a.
    public func multiply(_ a: Variable, _ b: Variable) -> Variable {
        precondition(a.shape == b.shape, "multiply: shapes \(a.shape) and \(b.shape) differ")
        let y = Tensor(shape: a.shape)
        Kernels.multiply(a.value.pointer, b.value.pointer, count: a.count, output: y.pointer)
        let output = result(y, inputs: [a, b])
        record(output) { g in
            if let da = a.gradientPointerIfNeeded() { Kernels.multiplyAccumulate(g.pointer, b.value.pointer, count: g.count, into: da) }
            if let db = b.gradientPointerIfNeeded() { Kernels.multiplyAccumulate(g.pointer, a.value.pointer, count: g.count, into: db) }
        }
        return output
    }

    /// factor * a. Backward: da += factor * g.
    public func scale(_ a: Variable, by factor: Float) -> Variable {
        let y = Tensor(shape: a.shape)
        Kernels.scale(a.value.pointer, by: factor, count: a.count, output: y.pointer)
        let output = result(y, inputs: [a])
        record(output) { g in
            if let da = a.gradientPointerIfNeeded() { Kernels.axpy(alpha: factor, g.pointer, count: g.count, y: da) }
        }
        return output
    }

    /// Sum of all elements, as a scalar (shape []). Backward: da += g (broadcast).
    public func sum(_ a: Variable) -> Variable {
        reduce(a, factor: 1)
    }

    /// Mean of all elements, as a scalar (shape []). Backward: da += g / count.
    public func mean(_ a: Variable) -> Variable {
        reduce(a, factor: 1 / Float(Swift.max(a.count, 1)))
    }

    private func reduce(_ a: Variable, factor: Float) -> Variable {
        let y = Tensor(shape: [])
        y.pointer[0] = Float(Kernels.sum(a.value.pointer, count: a.count) * Double(factor))
        let output = result(y, inputs: [a])
        record(output) { g in
            guard let da = a.gradientPointerIfNeeded() else { return }
            let value = g.pointer[0] * factor
            Parallel.forEachChunk(a.count) { range in for i in range { da[i] += value } }
        }
        return output
    }
}
