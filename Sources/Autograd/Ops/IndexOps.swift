/// Row gather/scatter on the tape: embedding lookup and MoE routing. Indices are Int32 arrays
/// (token ids, expert assignments) and carry no gradient.
extension Tape {
    /// table [V, C], indices [n] -> [n, C]. Backward: dtable[indices[i]] += g[i].
    public func embedding(_ table: Variable, indices: [Int32]) -> Variable {
        gatherRows(table, indices: indices)
    }

    /// x [N, C], indices [n] in 0..<N -> [n, C] (rows may repeat). Backward scatter-adds into dx.
    public func gatherRows(_ x: Variable, indices: [Int32]) -> Variable {
        precondition(x.value.rank == 2, "gatherRows needs a 2-D source, got \(x.shape)")
        let N = x.shape[0], C = x.shape[1]
        Tape.checkIndices(indices, below: N, operation: "gatherRows")
        let y = Tensor(shape: [indices.count, C])
        Kernels.gatherRows(x.value.pointer, columns: C, indices: indices, count: indices.count, output: y.pointer)
        let output = result(y, inputs: [x])
        record(output) { g in
            guard let dx = x.gradientPointerIfNeeded() else { return }
            Kernels.scatterAddRows(g.pointer, columns: C, indices: indices, count: indices.count, weights: nil, output: dx)
        }
        return output
    }

    /// out [rows, C] = sum over i of weights[i] * source[i] added at row indices[i]; source [n, C],
    /// weights [n] or nil (all 1). The MoE combine step: expert outputs back to their tokens.
    /// Backward: dsource[i] += weights[i] * g[indices[i]]; dweights[i] += dot(g[indices[i]], source[i]).
    public func scatterAddRows(_ source: Variable, indices: [Int32], weights: Variable?, rows: Int) -> Variable {
        precondition(source.value.rank == 2 && source.shape[0] == indices.count,
                     "scatterAddRows: source \(source.shape) needs one row per index (\(indices.count))")
        precondition(weights == nil || weights!.count == indices.count,
                     "scatterAddRows: weights \(weights!.shape) need one value per index (\(indices.count))")
        Tape.checkIndices(indices, below: rows, operation: "scatterAddRows")
        let n = indices.count, C = source.shape[1]
        let y = Tensor(shape: [rows, C])
        Kernels.scatterAddRows(source.value.pointer, columns: C, indices: indices, count: n,
                               weights: weights?.value.pointer, output: y.pointer)
        let output = result(y, inputs: weights.map { [source, $0] } ?? [source])
        record(output) { g in
            if let ds = source.gradientPointerIfNeeded() {
                let gathered = Tensor(shape: [n, C])
                Kernels.gatherRows(g.pointer, columns: C, indices: indices, count: n, output: gathered.pointer)
                if let weights {
                    for i in 0..<n { Kernels.axpy(alpha: weights.value.pointer[i], gathered.pointer + i * C, count: C, y: ds + i * C) }
                } else {
                    Kernels.axpy(alpha: 1, gathered.pointer, count: n * C, y: ds)
                }
            }
            if let weights, let dw = weights.gradientPointerIfNeeded() {
                Kernels.scatterAddRowsWeightGradient(source.value.pointer, columns: C, indices: indices, count: n,
                                                     outputGradient: g.pointer, weightGradient: dw)
            }
        }
        return output
    }

    static func checkIndices(_ indices: [Int32], below limit: Int, operation: String) {
        for (i, index) in indices.enumerated() {
            precondition(index >= 0 && Int(index) < limit, "\(operation): index \(index) at \(i) outside 0..<\(limit)")
        }
    }
}
