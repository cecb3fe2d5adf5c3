import Foundation

/// What a merge wrote and how much of each module's LoRA delta survived storage.
public struct MergeSummary: Sendable {
    public let format: MergeFormat
    public let convention: ScaleConventionDetection?
    public let modules: [DeltaSurvival]
    public let shardFiles: [String]
    public let tensorCount: Int
    public let dataBytes: Int
    public let copiedFiles: [String]

    /// Median survival below which an INT4 merge is reported as close to a no-op.
    public static let noOpThreshold = 0.5

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Median survival of the modules stored as INT4 (nil when none has a non-zero delta).
    public var medianInt4Survival: Double? {
        Self.median(modules.filter { $0.storage == "int4" }.compactMap(\.survival))
    }

    /// Rows per module class and storage: count, survival median/min, residual median/max.
    public var table: [String] {
        func f(_ v: Double?) -> String { v.map { String(format: "%8.4f", $0) } ?? "       -" }
        var rows = ["class            storage  modules  survival(median    min)  residual(median    max)"]
        var groups: [String: [DeltaSurvival]] = [:]
        var order: [String] = []
        for m in modules {
            let key = (LoRATargets.ModuleClass.of(m.module)?.rawValue ?? "other") + "|" + m.storage
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(m)
        }
        for key in order {
            let g = groups[key]!
            let parts = key.split(separator: "|").map(String.init)
            let survival = g.compactMap(\.survival), residual = g.compactMap(\.residual)
            rows.append(parts[0].padding(toLength: 17, withPad: " ", startingAt: 0) + parts[1].padding(toLength: 7, withPad: " ", startingAt: 0)
                        + String(format: "%9d", g.count) + "         " + f(Self.median(survival)) + " " + f(survival.min())
                        + "          " + f(Self.median(residual)) + " " + f(residual.max()))
        }
        return rows
    }

    /// A loud warning when most of the delta was rounded away by INT4 re-quantization.
    public var warning: String? {
        guard let median = medianInt4Survival, median < Self.noOpThreshold else { return nil }
        return "WARNING: the INT4 merge is close to a no-op: median delta survival \(String(format: "%.3f", median)) "
            + "over \(modules.filter { $0.storage == "int4" && $0.survival != nil }.count) re-quantized modules "
            + "(below \(Self.noOpThreshold)); most of the LoRA update was rounded away. Use --format bf16, "
            + "or train with lora_merge_aware: true so the adapter learns through the INT4 quantizer."
    }
}
