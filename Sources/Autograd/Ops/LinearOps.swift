/// Matrix products on the tape. Legend: N rows (tokens), I input features, O output features.
extension Tape {
    /// y = x W^T with a PyTorch-layout weight: x [..., I], weight [O, I] -> y [..., O].
    /// Backward: dx += g W (when x needs it); dW += g^T x only when the weight is trainable, so a
    /// frozen base weight costs one GEMM backward instead of two.
    public func linear(_ x: Variable, weight: Variable) -> Variable {
        let I = x.value.columns, N = x.value.rows
        precondition(weight.value.rank == 2 && weight.shape[1] == I,
                     "linear: weight \(weight.shape) does not match input \(x.shape) (want [out, \(I)])")
        let O = weight.shape[0]
        let y = Tensor(shape: Array(x.shape.dropLast()) + [O])
        BLAS.linear(x.value.pointer, rows: N, inFeatures: I, weight: weight.value.pointer, outFeatures: O, into: y.pointer)
        let output = result(y, inputs: [x, weight])
        record(output) { g in
            if let dx = x.gradientPointerIfNeeded() {
                // dx [N, I] += g [N, O] W [O, I]
                BLAS.gemm(m: N, n: I, k: O, a: g.pointer, b: weight.value.pointer, beta: 1, c: dx)
            }
            if let dw = weight.gradientPointerIfNeeded() {
                // dW [O, I] += g^T [O, N] x [N, I]
                BLAS.gemm(transposeA: true, m: O, n: I, k: N, a: g.pointer, b: x.value.pointer, beta: 1, c: dw)
            }
        }
        return output
    }

    /// c = a b for 2-D a [M, K], b [K, N]. Backward: da += g b^T, db += a^T g.
    public func matmul(_ a: Variable, _ b: Variable) -> Variable {
        precondition(a.value.rank == 2 && b.value.rank == 2 && a.shape[1] == b.shape[0],
                     "matmul: shapes \(a.shape) x \(b.shape) do not chain")
        let M = a.shape[0], K = a.shape[1], N = b.shape[1]
        let c = BLAS.matmul(a.value, b.value)
        let output = result(c, inputs: [a, b])
        record(output) { g in
            if let da = a.gradientPointerIfNeeded() {
                // da [M, K] += g [M, N] b^T [N, K]
                BLAS.gemm(transposeB: true, m: M, n: K, k: N, a: g.pointer, b: b.value.pointer, beta: 1, c: da)
            }
            if let db = b.gradientPointerIfNeeded() {
                // db [K, N] += a^T [K, M] g [M, N]
                BLAS.gemm(transposeA: true, m: K, n: N, k: M, a: a.value.pointer, b: g.pointer, beta: 1, c: db)
            }
        }
        return output
    }
}
