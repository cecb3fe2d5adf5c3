/// How much of a module's LoRA delta Δ = s B A is still there after merging and storing:
/// with `before` the base weight as a loader sees it and `after` the merged weight as stored,
/// survival = <after - before, Δ> / |Δ|² (1: all of Δ landed, 0: nothing changed) and
/// residual = |after - before - Δ| / |Δ| (0: stored exactly). INT4 re-quantization can round a
/// small Δ away entirely, which is the silent failure this measures.
public struct DeltaSurvival: Sendable, Equatable {
    public let module: String
    /// "bf16" or "int4": how the merged module is stored.
    public let storage: String
    /// nil when Δ is zero (B = 0): nothing to survive.
    public let survival: Double?
    public let residual: Double?
    public let deltaNorm: Double

    public init(module: String, storage: String, before: UnsafePointer<Float>, after: UnsafePointer<Float>,
                delta: UnsafePointer<Float>, count: Int) {
        var dot = 0.0, deltaSquared = 0.0, residualSquared = 0.0
        for i in 0..<count {
            let change = Double(after[i]) - Double(before[i])
            let d = Double(delta[i])
            dot += change * d
            deltaSquared += d * d
            residualSquared += (change - d) * (change - d)
        }
        self.module = module
        self.storage = storage
        deltaNorm = deltaSquared.squareRoot()
        survival = deltaSquared > 0 ? dot / deltaSquared : nil
        residual = deltaSquared > 0 ? residualSquared.squareRoot() / deltaNorm : nil
    }

    public init(module: String, storage: String, survival: Double?, residual: Double?, deltaNorm: Double) {
        self.module = module; self.storage = storage; self.survival = survival; self.residual = residual; self.deltaNorm = deltaNorm
    }

    /// One report line: module, storage, survival, residual, |Δ|.
    public var line: String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "-" }
        return "\(module)  \(storage)  survival \(f(survival))  residual \(f(residual))  |delta| \(String(format: "%.3e", deltaNorm))"
    }
}
