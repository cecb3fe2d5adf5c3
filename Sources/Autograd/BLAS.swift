internal import COpenBLAS

/// Matrix products through OpenBLAS `cblas_sgemm`. All matrices are row-major and contiguous.
/// Arguments are validated before the call: OpenBLAS reports bad leading dimensions by printing
/// and returning, which would leave stale output silently.
public enum BLAS {
    /// Sets OpenBLAS's thread count (both cores by default on this project's machines).
    public static func setThreadCount(_ n: Int) {
        openblas_set_num_threads(Int32(n))
    }

    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS chose at load ("SkylakeX", "Haswell", "Prescott", ...).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// C = alpha * op(A) * op(B) + beta * C, with op(A) [M, K], op(B) [K, N], C [M, N].
    /// A is stored [M, K] (or [K, M] when transposeA); B is stored [K, N] (or [N, K] when transposeB).
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension m=\(m) n=\(n) k=\(k)")
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS would leave C untouched when beta == 1 only; make the k == 0 case explicit.
            if beta == 0 { c.update(repeating: 0, count: m * n) }
            else if beta != 1 { for i in 0..<(m * n) { c[i] *= beta } }
            return
        }
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
    }

    /// Strided form: C = alpha * op(A) * op(B) + beta * C with explicit row strides (leading
    /// dimensions) so sub-matrices of larger buffers (one head of a [T, H, D] tensor) need no copy.
    /// lda is the stride between stored rows of A (stored [M, K], or [K, M] when transposeA), and
    /// likewise ldb for B and ldc for C [M, N].
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension m=\(m) n=\(n) k=\(k)")
        precondition(lda >= Swift.max(1, transposeA ? m : k) && ldb >= Swift.max(1, transposeB ? k : n)
                     && ldc >= Swift.max(1, n),
                     "gemm: leading dimensions lda=\(lda) ldb=\(ldb) ldc=\(ldc) too small for m=\(m) n=\(n) k=\(k)")
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m {
                let row = c + i * ldc
                if beta == 0 { row.update(repeating: 0, count: n) }
                else if beta != 1 { for j in 0..<n { row[j] *= beta } }
            }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Runs `body` with OpenBLAS limited to one thread, for kernels that already split work over
    /// the cores and call gemm from each worker (nested threading would oversubscribe the cores).
    /// Changes a process-wide setting, so training must not run other BLAS work concurrently.
    public static func withSingleThread<R>(_ body: () throws -> R) rethrows -> R {
        let previous = threadCount
        if previous <= 1 { return try body() }
        setThreadCount(1)
        defer { setThreadCount(previous) }
        return try body()
    }

    /// y = x W^T for a PyTorch-layout weight: x [rows, in], W [out, in] -> y [rows, out].
    /// `accumulate` adds into y instead of overwriting it.
    public static func linear(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int,
                              weight: UnsafePointer<Float>, outFeatures: Int,
                              into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        gemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
             a: x, b: weight, beta: accumulate ? 1 : 0, c: y)
    }

    /// Tensor form: C = op(A) op(B) for 2-D tensors.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul needs 2-D tensors, got \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let kb = transposeB ? b.shape[1] : b.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == kb, "matmul inner dimensions differ: \(a.shape)\(transposeA ? "^T" : "") x \(b.shape)\(transposeB ? "^T" : "")")
        let c = Tensor(shape: [m, n])
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.pointer, b: b.pointer, c: c.pointer)
        return c
    }
}
