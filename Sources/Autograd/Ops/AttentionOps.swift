/// Attention and rotary embedding on the tape. Legend: T tokens, H heads, Dq/Dv head widths.
extension Tape {
    /// Causal attention: q, k [T, H, Dq], v [T, H, Dv] -> [T, H, Dv]. segmentIds [T] keeps packed
    /// examples apart (nil: one sequence). Saves only the output and log-sum-exp [H, T].
    public func causalAttention(q: Variable, k: Variable, v: Variable, scale: Float, segmentIds: [Int32]? = nil) -> Variable {
        precondition(q.value.rank == 3 && q.shape == k.shape && v.value.rank == 3 && Array(v.shape.prefix(2)) == Array(q.shape.prefix(2)),
                     "causalAttention: q \(q.shape), k \(k.shape), v \(v.shape) must be [T, H, D] with matching T, H")
        precondition(segmentIds == nil || segmentIds!.count == q.shape[0],
                     "causalAttention: \(segmentIds!.count) segment ids for \(q.shape[0]) tokens")
        let T = q.shape[0], H = q.shape[1], Dq = q.shape[2], Dv = v.shape[2]
        let y = Tensor(shape: [T, H, Dv]), logSumExp = Tensor(shape: [H, T])
        func withSegments(_ body: (UnsafePointer<Int32>?) -> Void) {
            if let segmentIds { segmentIds.withUnsafeBufferPointer { body($0.baseAddress) } } else { body(nil) }
        }
        withSegments { segments in
            Kernels.causalAttentionForward(q: q.value.pointer, k: k.value.pointer, v: v.value.pointer, tokens: T, heads: H,
                                           qkDim: Dq, vDim: Dv, scale: scale, segmentIds: segments,
                                           output: y.pointer, logSumExp: logSumExp.pointer)
        }
        let output = result(y, inputs: [q, k, v])
        record(output) { g in
            withSegments { segments in
                Kernels.causalAttentionBackward(q: q.value.pointer, k: k.value.pointer, v: v.value.pointer,
                                                output: y.pointer, logSumExp: logSumExp.pointer, outputGradient: g.pointer,
                                                tokens: T, heads: H, qkDim: Dq, vDim: Dv, scale: scale, segmentIds: segments,
                                                qGradient: q.gradientPointerIfNeeded(), kGradient: k.gradientPointerIfNeeded(),
                                                vGradient: v.gradientPointerIfNeeded())
            }
        }
        return output
    }

    /// Rotates `ropeDim` values starting at `offset` within each head of x [T, H, W] by the angles
    /// of positions[t] in cos/sin [maxPositions, ropeDim/2]; other values pass through.
    /// Backward: g rotated by the transpose (Kernels.applyRotary with inverse: true).
    public func rotary(_ x: Variable, offset: Int, ropeDim: Int, positions: [Int32], cos: Tensor, sin: Tensor,
                       layout: RotaryLayout) -> Variable {
        precondition(x.value.rank == 3 && offset >= 0 && offset + ropeDim <= x.shape[2] && positions.count == x.shape[0],
                     "rotary: x \(x.shape), offset \(offset), ropeDim \(ropeDim), \(positions.count) positions do not fit")
        precondition(cos.shape == sin.shape && cos.columns == ropeDim / 2,
                     "rotary: tables \(cos.shape)/\(sin.shape) must be [positions, \(ropeDim / 2)]")
        Tape.checkIndices(positions, below: cos.rows, operation: "rotary")
        let T = x.shape[0], H = x.shape[1], W = x.shape[2]
        func rotate(_ buffer: UnsafeMutablePointer<Float>, inverse: Bool) {
            Kernels.applyRotary(buffer, tokens: T, heads: H, tokenStride: H * W, headStride: W, offset: offset,
                                ropeDim: ropeDim, positions: positions, cos: cos.pointer, sin: sin.pointer,
                                layout: layout, inverse: inverse)
        }
        let y = x.value.copy()
        rotate(y.pointer, inverse: false)
        let output = result(y, inputs: [x])
        record(output) { g in
            guard let dx = x.gradientPointerIfNeeded() else { return }
            let rotated = g.copy()
            rotate(rotated.pointer, inverse: true)
            Kernels.axpy(alpha: 1, rotated.pointer, count: rotated.count, y: dx)
        }
        return output
    }
}
