import Autograd

/// A frozen RMSNorm (weight [dim], eps from the config), forward and input-gradient backward over
/// rows; the weight never gets a gradient.
public struct RMSNormWeight {
    public let weight: Tensor
    public let eps: Float

    public init(weight: Tensor, eps: Float) { self.weight = weight; self.eps = eps }

    public var dim: Int { weight.count }

    /// output [rows, dim] and inverseRMS [rows] from x [rows, dim].
    public func forward(_ x: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
                        inverseRMS: UnsafeMutablePointer<Float>) {
        Kernels.rmsNormForward(x, weight: weight.pointer, rows: rows, dim: dim, eps: eps, output: output, inverseRMS: inverseRMS)
    }

    /// dx [rows, dim] += from dy [rows, dim].
    public func backward(_ x: UnsafePointer<Float>, rows: Int, inverseRMS: UnsafePointer<Float>,
                         outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>) {
        Kernels.rmsNormBackward(x, weight: weight.pointer, inverseRMS: inverseRMS, outputGradient: dy, rows: rows, dim: dim,
                                inputGradient: dx, weightGradient: nil)
    }
}
