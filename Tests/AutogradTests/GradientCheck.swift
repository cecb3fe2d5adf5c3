import Autograd

/// Shared helpers for gradient checks: central finite differences of a scalar function.
///
/// Kernels run in Float32, so the differences use a step of 1e-2 on O(1) inputs: the truncation
/// error is O(step^2) ~ 1e-4 and the Float32 rounding error of the loss (summed in Double) divided
/// by the step is ~1e-5 for these small shapes, so 5e-3 absolute + 1e-2 relative is tight enough
/// to catch a wrong term yet never flaky.
enum GradientCheck {
    static let step: Float = 1e-2
    static let absolute = 5e-3
    static let relative = 1e-2

    /// d f / d values[i] by central differences, for every i.
    static func numerical(_ values: [Float], step: Float = step, _ f: ([Float]) -> Double) -> [Double] {
        var probe = values
        var result = [Double](repeating: 0, count: values.count)
        for i in 0..<values.count {
            let original = probe[i]
            probe[i] = original + step
            let plus = f(probe)
            probe[i] = original - step
            let minus = f(probe)
            probe[i] = original
            result[i] = (plus - minus) / Double(2 * step)
        }
        return result
    }

    /// Deterministic values in [-scale, scale).
    static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(generator.nextUnit() * 2 - 1) * scale }
    }

    /// sum_i output[i] * weights[i] in Double: a scalar loss whose output gradient is `weights`.
    static func dot(_ output: [Float], _ weights: [Float]) -> Double {
        var total = 0.0
        for i in 0..<output.count { total += Double(output[i]) * Double(weights[i]) }
        return total
    }
}
