/// Element-wise helpers over `count` contiguous floats, split over cores for large buffers.
extension Kernels {
    /// output = a + b. output may alias a or b.
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                           output: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count) { range in
            for i in range { output[i] = a[i] + b[i] }
        }
    }

    /// y += alpha * x.
    public static func axpy(alpha: Float, _ x: UnsafePointer<Float>, count: Int, y: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count) { range in
            for i in range { y[i] += alpha * x[i] }
        }
    }

    /// output = factor * x. output may alias x.
    public static func scale(_ x: UnsafePointer<Float>, by factor: Float, count: Int,
                             output: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count) { range in
            for i in range { output[i] = factor * x[i] }
        }
    }

    /// output = a * b (element-wise). output may alias a or b.
    public static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                                output: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count) { range in
            for i in range { output[i] = a[i] * b[i] }
        }
    }

    /// accumulator += a * b (element-wise); the backward of `multiply` for one operand.
    public static func multiplyAccumulate(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                                          into accumulator: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count) { range in
            for i in range { accumulator[i] += a[i] * b[i] }
        }
    }

    /// Sum of x[i]^2 in Double (gradient norms, clipping). Serial: the order must not depend on
    /// the worker count so that clipping is reproducible.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        // Eight independent partial sums let the compiler vectorize without reassociation flags.
        var partial = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 8 <= count {
            let a0 = Double(x[i]), a1 = Double(x[i + 1]), a2 = Double(x[i + 2]), a3 = Double(x[i + 3])
            let a4 = Double(x[i + 4]), a5 = Double(x[i + 5]), a6 = Double(x[i + 6]), a7 = Double(x[i + 7])
            partial.0 += a0 * a0; partial.1 += a1 * a1; partial.2 += a2 * a2; partial.3 += a3 * a3
            partial.4 += a4 * a4; partial.5 += a5 * a5; partial.6 += a6 * a6; partial.7 += a7 * a7
            i += 8
        }
        var total = (partial.0 + partial.1) + (partial.2 + partial.3) + (partial.4 + partial.5) + (partial.6 + partial.7)
        while i < count { total += Double(x[i]) * Double(x[i]); i += 1 }
        return total
    }

    /// Sum of x in Double (the `sum`/`mean` reductions).
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        for i in 0..<count { total += Double(x[i]) }
        return total
    }
}
