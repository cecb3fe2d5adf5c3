import Autograd

/// One LoRA adapter on a frozen projection W [out, in]: y = W x + s * B (A dropout(x)).
/// A [r, in] starts kaiming-uniform (PEFT's `kaiming_uniform_(a=sqrt(5))`, i.e. U(-1/sqrt(in), 1/sqrt(in))),
/// B [out, r] starts at zero so the adapted model starts exactly at the base.
///
/// Backward recomputes the small product h = A x instead of saving it, because the model recomputes
/// layers under activation checkpointing anyway; dropout masks are derived from `dropoutSeed` and
/// the element index, so the recomputed forward and the backward see the same mask.
public final class LoRAAdapter: ProjectionAdapter, @unchecked Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    public let rank: Int
    public let scaling: Float
    public let dropout: Float
    /// [rank, in]
    public let a: Tensor
    /// [out, rank]
    public let b: Tensor
    /// Gradients, accumulated (+=) over micro-batches until the optimizer zeroes them. Allocated on
    /// first use, so an adapter loaded only to evaluate or merge (5.1 G parameters on every routed
    /// expert of K2.5) does not also hold a gradient copy of itself.
    public var gradientA: Tensor { gradients().a }
    public var gradientB: Tensor { gradients().b }
    /// Whether the gradient buffers exist yet.
    public var hasGradientBuffers: Bool { gradientStorage != nil }
    private var gradientStorage: (a: Tensor, b: Tensor)?

    private func gradients() -> (a: Tensor, b: Tensor) {
        if let g = gradientStorage { return g }
        let g = (a: Tensor(shape: [rank, inFeatures]), b: Tensor(shape: [outFeatures, rank]))
        gradientStorage = g
        return g
    }
    /// Set by the trainer per micro-batch (and by eval to turn dropout off via `isTraining`).
    public var dropoutSeed: UInt64 = 0
    public var isTraining = true
    /// Optional transform of the delta B·A used by merge-aware training; nil for plain LoRA.
    public var deltaTransform: LoRADeltaTransform?

    public init(inFeatures: Int, outFeatures: Int, rank: Int, scaling: Float, dropout: Float = 0,
                initializationSeed: UInt64) {
        precondition(rank > 0 && inFeatures > 0 && outFeatures > 0, "LoRA shape r=\(rank) in=\(inFeatures) out=\(outFeatures)")
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.rank = rank
        self.scaling = scaling; self.dropout = dropout
        a = Tensor(shape: [rank, inFeatures])
        b = Tensor(shape: [outFeatures, rank])
        var rng = SplitMix64(seed: initializationSeed)
        let bound = 1 / Double(inFeatures).squareRoot()
        for i in 0..<a.count { a.data[i] = Float((rng.nextUnit() * 2 - 1) * bound) }
    }

    public var parameterCount: Int { a.count + b.count }

    // MARK: forward / backward

    /// y [rows, out] += s * ((drop(x) A^T) B^T)
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        if let transform = deltaTransform {
            // Merge-aware: y += x (Q(W + sBA) - W)^T, with the delta materialised by the transform.
            transform.forward(self, x, rows: rows, into: y)
            return
        }
        let input = droppedInput(x, rows: rows)
        defer { input.release() }
        let h = Tensor(shape: [rows, rank])                                  // h = x A^T [rows, r]
        BLAS.linear(input.pointer, rows: rows, inFeatures: inFeatures, weight: a.pointer, outFeatures: rank, into: h.pointer)
        BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: rank,
                  alpha: scaling, a: h.pointer, b: b.pointer, beta: 1, c: y)     // y += s h B^T
    }

    /// Accumulates dA, dB and adds the adapter's part of dx, given the forward's x and dy [rows, out].
    public func backward(_ x: UnsafePointer<Float>, rows: Int, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        if let transform = deltaTransform {
            transform.backward(self, x, rows: rows, outputGradient: dy, inputGradient: dx)
            return
        }
        let input = droppedInput(x, rows: rows)
        defer { input.release() }
        let h = Tensor(shape: [rows, rank])
        BLAS.linear(input.pointer, rows: rows, inFeatures: inFeatures, weight: a.pointer, outFeatures: rank, into: h.pointer)
        // dB [out, r] += s * dy^T h
        BLAS.gemm(transposeA: true, transposeB: false, m: outFeatures, n: rank, k: rows,
                  alpha: scaling, a: dy, b: h.pointer, beta: 1, c: gradientB.pointer)
        // dh [rows, r] = s * dy B
        let dh = Tensor(shape: [rows, rank])
        BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: rank, k: outFeatures,
                  alpha: scaling, a: dy, b: b.pointer, beta: 0, c: dh.pointer)
        // dA [r, in] += dh^T drop(x)
        BLAS.gemm(transposeA: true, transposeB: false, m: rank, n: inFeatures, k: rows,
                  a: dh.pointer, b: input.pointer, beta: 1, c: gradientA.pointer)
        // dx [rows, in] += mask * (dh A) / keep
        if let mask = input.mask {
            let dInput = Tensor(shape: [rows, inFeatures])
            BLAS.gemm(m: rows, n: inFeatures, k: rank, a: dh.pointer, b: a.pointer, c: dInput.pointer)
            for i in 0..<(rows * inFeatures) { dx[i] += dInput.data[i] * mask[i] }
        } else {
            BLAS.gemm(m: rows, n: inFeatures, k: rank, a: dh.pointer, b: a.pointer, beta: 1, c: dx)
        }
    }

    public func zeroGradients() {
        gradientStorage?.a.fill(0)
        gradientStorage?.b.fill(0)
    }

    /// The dense delta s * B A [out, in], added into `weight` (what merging does).
    public func addDelta(into weight: UnsafeMutablePointer<Float>) {
        BLAS.gemm(m: outFeatures, n: inFeatures, k: rank, alpha: scaling, a: b.pointer, b: a.pointer, beta: 1, c: weight)
    }

    // MARK: dropout

    /// The adapter input after dropout: x itself when dropout is off, else x * mask with the mask
    /// (already divided by the keep probability) kept for backward.
    private struct DroppedInput {
        let pointer: UnsafePointer<Float>
        let storage: Tensor?
        let mask: UnsafeMutablePointer<Float>?
        func release() { mask?.deallocate() }
    }

    private func droppedInput(_ x: UnsafePointer<Float>, rows: Int) -> DroppedInput {
        guard isTraining, dropout > 0 else { return DroppedInput(pointer: x, storage: nil, mask: nil) }
        let n = rows * inFeatures
        let keep = 1 - dropout
        let mask = UnsafeMutablePointer<Float>.allocate(capacity: n)
        let out = Tensor(shape: [rows, inFeatures])
        let seed = dropoutSeed
        for i in 0..<n {
            // A counter-based hash: the same (seed, index) always gives the same keep/drop choice.
            var rng = SplitMix64(seed: seed ^ (UInt64(i) &* 0x9E37_79B9_7F4A_7C15))
            let kept = rng.nextUnit() >= Double(dropout)
            mask[i] = kept ? 1 / keep : 0
            out.data[i] = x[i] * mask[i]
        }
        return DroppedInput(pointer: UnsafePointer(out.pointer), storage: out, mask: mask)
    }
}

/// A replacement for the plain LoRA product, used by merge-aware training to train through the
/// INT4 quantizer the merge will apply.
public protocol LoRADeltaTransform: AnyObject {
    func forward(_ adapter: LoRAAdapter, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>)
    func backward(_ adapter: LoRAAdapter, _ x: UnsafePointer<Float>, rows: Int,
                  outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>)
}
