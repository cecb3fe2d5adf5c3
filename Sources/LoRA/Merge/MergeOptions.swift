import Foundation

/// How `kimi-sft merge` stores the merged checkpoint.
public enum MergeFormat: String, Sendable, CaseIterable {
    /// Every projection in BF16; INT4 experts are dequantized and quantization_config is removed.
    case bf16
    /// Routed experts stay pack-quantized INT4 (re-quantized where adapted), quantization_config kept.
    case int4
}

public struct MergeOptions: Sendable {
    public var model: URL
    public var adapter: URL
    public var output: URL
    /// nil: int4 when the base has INT4 modules, else bf16.
    public var format: MergeFormat?
    public var maximumShardBytes: Int
    public var overwrite: Bool

    public static let defaultMaximumShardBytes = 5_000_000_000

    public init(model: URL, adapter: URL, output: URL, format: MergeFormat? = nil,
                maximumShardBytes: Int = defaultMaximumShardBytes, overwrite: Bool = false) {
        self.model = model; self.adapter = adapter; self.output = output; self.format = format
        self.maximumShardBytes = maximumShardBytes; self.overwrite = overwrite
    }

    /// Parses transformers' `max_shard_size` spellings: "5GB" (10^9), "2GiB" (2^30), "500MB",
    /// "100KB", "4096" or "4096B". Nil for anything else, zero or negative.
    public static func parseShardSize(_ text: String) -> Int? {
        let s = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Double)] = [("TIB", 1_099_511_627_776), ("GIB", 1_073_741_824), ("MIB", 1_048_576), ("KIB", 1024),
                                         ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("B", 1)]
        var number = Substring(s), multiplier = 1.0
        for (suffix, value) in units where s.hasSuffix(suffix) {
            number = s.dropLast(suffix.count)
            multiplier = value
            break
        }
        let trimmed = number.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(trimmed) else { return nil }
        let bytes = value * multiplier
        guard bytes >= 1, bytes < 9e18 else { return nil }
        return Int(bytes)
    }
}
