/// Shape ops on the tape. Tensors are always contiguous, so each copies; an axis op views the
/// tensor as [outer, axis, inner] and moves blocks of `inner` floats.
extension Tape {
    /// Same values, new shape with the same element count. Backward: dx += g (reshaped).
    public func reshape(_ x: Variable, _ shape: [Int]) -> Variable {
        let y = x.value.reshaped(shape)
        let output = result(y, inputs: [x])
        record(output) { g in
            if let dx = x.gradientPointerIfNeeded() { Kernels.axpy(alpha: 1, g.pointer, count: g.count, y: dx) }
        }
        return output
    }

    /// Swaps the last two dimensions: [..., M, N] -> [..., N, M]. Backward: the same swap of g.
    public func transpose(_ x: Variable) -> Variable {
        precondition(x.value.rank >= 2, "transpose needs rank >= 2, got \(x.shape)")
        let M = x.shape[x.value.rank - 2], N = x.shape[x.value.rank - 1], batches = x.count / Swift.max(M * N, 1)
        var shape = x.shape
        shape.swapAt(shape.count - 1, shape.count - 2)
        let y = Tensor(shape: shape)
        Tape.transposeBlocks(x.value.pointer, rows: M, columns: N, batches: batches, into: y.pointer, accumulate: false)
        let output = result(y, inputs: [x])
        record(output) { g in
            if let dx = x.gradientPointerIfNeeded() {
                Tape.transposeBlocks(g.pointer, rows: N, columns: M, batches: batches, into: dx, accumulate: true)
            }
        }
        return output
    }

    /// source [batches, rows, columns] -> destination [batches, columns, rows], overwritten or added.
    static func transposeBlocks(_ source: UnsafePointer<Float>, rows: Int, columns: Int, batches: Int,
                                into destination: UnsafeMutablePointer<Float>, accumulate: Bool) {
        Parallel.forEachChunk(batches * rows, cost: columns) { range in
            for index in range {
                let b = index / rows, r = index % rows
                let from = source + (b * rows + r) * columns, to = destination + b * rows * columns + r
                if accumulate { for c in 0..<columns { to[c * rows] += from[c] } }
                else { for c in 0..<columns { to[c * rows] = from[c] } }
            }
        }
    }

    /// x viewed as [outer, length, inner] around `axis`.
    static func axisView(_ shape: [Int], axis: Int) -> (outer: Int, length: Int, inner: Int) {
        precondition(axis >= 0 && axis < shape.count, "axis \(axis) out of range for shape \(shape)")
        return (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Copies `length` positions of [outer, ?, inner] blocks between tensors with different axis
    /// lengths; `accumulate` adds instead of overwriting.
    static func copyAxisBlocks(from source: UnsafePointer<Float>, sourceLength: Int, sourceStart: Int,
                               to destination: UnsafeMutablePointer<Float>, destinationLength: Int, destinationStart: Int,
                               length: Int, outer: Int, inner: Int, accumulate: Bool) {
        let block = length * inner
        Parallel.forEachChunk(outer, cost: block) { range in
            for o in range {
                let from = source + (o * sourceLength + sourceStart) * inner
                let to = destination + (o * destinationLength + destinationStart) * inner
                if accumulate { for i in 0..<block { to[i] += from[i] } }
                else { to.update(from: from, count: block) }
            }
        }
    }

    /// x[..., range, ...] along `axis`. Backward: g is added into the sliced positions of dx.
    public func slice(_ x: Variable, axis: Int, _ range: Range<Int>) -> Variable {
        let (outer, length, inner) = Tape.axisView(x.shape, axis: axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= length,
                     "slice \(range) out of bounds for axis \(axis) of \(x.shape)")
        var shape = x.shape
        shape[axis] = range.count
        let y = Tensor(shape: shape)
        Tape.copyAxisBlocks(from: x.value.pointer, sourceLength: length, sourceStart: range.lowerBound,
                            to: y.pointer, destinationLength: range.count, destinationStart: 0,
                            length: range.count, outer: outer, inner: inner, accumulate: false)
        let output = result(y, inputs: [x])
        record(output) { g in
            guard let dx = x.gradientPointerIfNeeded() else { return }
            Tape.copyAxisBlocks(from: g.pointer, sourceLength: range.count, sourceStart: 0,
                                to: dx, destinationLength: length, destinationStart: range.lowerBound,
                                length: range.count, outer: outer, inner: inner, accumulate: true)
        }
        return output
    }

    /// Joins variables along `axis`; all other dimensions must match. Backward: each input gets its slice of g.
    public func concat(_ parts: [Variable], axis: Int) -> Variable {
        precondition(!parts.isEmpty, "concat of nothing")
        var shape = parts[0].shape
        let (outer, _, inner) = Tape.axisView(shape, axis: axis)
        var starts: [Int] = []
        var total = 0
        for part in parts {
            var expected = shape
            expected[axis] = part.shape.count == shape.count ? part.shape[axis] : -1
            precondition(part.shape == expected, "concat: \(part.shape) does not match \(shape) off axis \(axis)")
            starts.append(total)
            total += part.shape[axis]
        }
        shape[axis] = total
        let y = Tensor(shape: shape)
        for (part, start) in zip(parts, starts) {
            Tape.copyAxisBlocks(from: part.value.pointer, sourceLength: part.shape[axis], sourceStart: 0,
                                to: y.pointer, destinationLength: total, destinationStart: start,
                                length: part.shape[axis], outer: outer, inner: inner, accumulate: false)
        }
        let output = result(y, inputs: parts)
        record(output) { g in
            for (part, start) in zip(parts, starts) {
                guard let dp = part.gradientPointerIfNeeded() else { continue }
                Tape.copyAxisBlocks(from: g.pointer, sourceLength: total, sourceStart: start,
                                    to: dp, destinationLength: part.shape[axis], destinationStart: 0,
                                    length: part.shape[axis], outer: outer, inner: inner, accumulate: true)
            }
        }
        return output
    }
}
