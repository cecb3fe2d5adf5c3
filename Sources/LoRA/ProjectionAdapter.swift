import Autograd

/// What plugs into a frozen projection of the model (a LoRA adapter, or a merge-aware variant).
/// The model calls `forward` after the base GEMM and `backward` before propagating the input
/// gradient, so adapters add trainable parameters without the layer knowing their math.
public protocol ProjectionAdapter: AnyObject {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// y [rows, out] += adapter(x [rows, in]).
    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>)
    /// Given the same x and dy [rows, out]: accumulates the adapter's own parameter gradients and
    /// adds the adapter's contribution to dx [rows, in].
    func backward(_ x: UnsafePointer<Float>, rows: Int, outputGradient dy: UnsafePointer<Float>,
                  inputGradient dx: UnsafeMutablePointer<Float>)
}
