import Foundation
import Storage

/// The tokenized, masked dataset in one HDF5 file: `input_ids` and `labels` (all examples
/// concatenated, Int32, chunked and gzip-compressed), `example_offsets` (Int64, count + 1 entries,
/// example i is offsets[i]..<offsets[i+1]) and attributes recording the `TokenCacheKey` and the
/// dataset summary. Reused when the key matches, rebuilt when anything differs or the file is damaged.
public enum TokenCache {
    /// Bumped when the layout changes; a cache of another version is rebuilt.
    public static let formatVersion: Int64 = 1

    /// Whether a cache was reused, or why it was (re)built.
    public enum Status: Sendable, Equatable {
        case reused
        case built(reason: String)
    }

    /// Loads the cache at `path` when its key matches, else calls `build` and stores the result.
    public static func loadOrBuild(
        at path: String, key: TokenCacheKey, build: () throws -> (examples: [LabeledExample], summary: DatasetSummary)
    ) throws -> (examples: [LabeledExample], summary: DatasetSummary, status: Status) {
        switch load(at: path, key: key) {
        case .success(let cached):
            return (cached.examples, cached.summary, .reused)
        case .failure(let stale):
            let (examples, summary) = try build()
            try store(examples, summary: summary, key: key, at: path)
            return (examples, summary, .built(reason: stale.reason))
        }
    }

    /// Why a cache cannot be used.
    public struct Stale: Error, Equatable {
        public let reason: String
    }

    /// The cached examples, or why they cannot be used (missing, damaged, or a key field differs).
    public static func load(at path: String, key: TokenCacheKey) -> Result<(examples: [LabeledExample], summary: DatasetSummary), Stale> {
        guard FileManager.default.fileExists(atPath: path) else { return .failure(Stale(reason: "no cache at \(path)")) }
        do {
            let file = try HDF5File.open(path)
            defer { file.close() }
            guard try file.integerAttribute("format_version") == formatVersion else {
                return .failure(Stale(reason: "cache format version differs"))
            }
            for (name, value) in key.fields where try file.stringAttribute(name) != value {
                return .failure(Stale(reason: "\(name) differs"))
            }
            let ids = try file.read("input_ids", as: Int32.self).values
            let labels = try file.read("labels", as: Int32.self).values
            let offsets = try file.read("example_offsets", as: Int64.self).values
            guard ids.count == labels.count, offsets.first == 0, offsets.last == Int64(ids.count),
                  zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                return .failure(Stale(reason: "cache datasets are inconsistent"))
            }
            var examples: [LabeledExample] = []
            examples.reserveCapacity(offsets.count - 1)
            for i in 0..<(offsets.count - 1) {
                let range = Int(offsets[i])..<Int(offsets[i + 1])
                examples.append(LabeledExample(inputIds: Array(ids[range]), labels: Array(labels[range])))
            }
            var summary = DatasetSummary()
            summary.recordsRead = Int(try file.integerAttribute("records_read") ?? 0)
            summary.recordsSkipped = Int(try file.integerAttribute("records_skipped") ?? 0)
            summary.turnsWithReasoningDropped = Int(try file.integerAttribute("turns_with_reasoning_dropped") ?? 0)
            if let reasons = try file.stringAttribute("skip_reasons"), !reasons.isEmpty {
                summary.skipReasons = reasons.components(separatedBy: "\n")
            }
            return .success((examples, summary))
        } catch {
            return .failure(Stale(reason: "cache unreadable: \(error)"))
        }
    }

    /// Writes the cache to a temporary file beside `path`, then renames it into place, so an
    /// interrupted run never leaves a half-written cache that looks valid.
    public static func store(_ examples: [LabeledExample], summary: DatasetSummary, key: TokenCacheKey, at path: String) throws {
        let total = examples.reduce(0) { $0 + $1.count }
        var ids = [Int32](), labels = [Int32](), offsets: [Int64] = [0]
        ids.reserveCapacity(total); labels.reserveCapacity(total); offsets.reserveCapacity(examples.count + 1)
        for e in examples {
            ids += e.inputIds
            labels += e.labels
            offsets.append(Int64(ids.count))
        }
        let temporary = path + ".partial"
        do {
            let file = try HDF5File.create(temporary)
            defer { file.close() }
            try file.write(ids, to: "input_ids")
            try file.write(labels, to: "labels")
            try file.write(offsets, to: "example_offsets")
            try file.setAttribute("format_version", integer: formatVersion)
            for (name, value) in key.fields { try file.setAttribute(name, string: value) }
            try file.setAttribute("records_read", integer: Int64(summary.recordsRead))
            try file.setAttribute("records_skipped", integer: Int64(summary.recordsSkipped))
            try file.setAttribute("turns_with_reasoning_dropped", integer: Int64(summary.turnsWithReasoningDropped))
            try file.setAttribute("skip_reasons", string: summary.skipReasons.joined(separator: "\n"))
        }
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }
}
