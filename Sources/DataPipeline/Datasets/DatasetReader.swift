import Foundation
import Storage

/// Reads JSONL dataset files into canonical records. The format is detected per file from its
/// first record unless `format` forces one; blank lines are ignored; each bad record either stops
/// the read with an error naming file:line or, with `.skip`, is counted in the summary.
public struct DatasetReader: Sendable {
    public var format: DatasetFormat?
    public var onBadRecord: BadRecordPolicy

    public init(format: DatasetFormat? = nil, onBadRecord: BadRecordPolicy = .error) {
        self.format = format
        self.onBadRecord = onBadRecord
    }

    /// Every record of one file, in order.
    public func read(_ path: String, summary: inout DatasetSummary) throws -> [SourcedRecord] {
        var records: [SourcedRecord] = []
        try forEachRecord(in: path, summary: &summary) { records.append($0) }
        return records
    }

    /// Streams one file's records to `body` (`.jsonl` or `.jsonl.zst`, in constant memory).
    public func forEachRecord(in path: String, summary: inout DatasetSummary, _ body: (SourcedRecord) throws -> Void) throws {
        let reader: JSONLReader
        do { reader = try JSONLReader(url: URL(fileURLWithPath: path)) } catch let error as StreamingError {
            throw Self.unreadable(path, error)
        }
        var fileFormat = format
        var sawRecord = false
        while true {
            let next: JSONLLine?
            do { next = try reader.nextLine() } catch let error as StreamingError {
                throw Self.unreadable(path, error)
            }
            guard let line = next else { break }
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            sawRecord = true
            summary.recordsRead += 1
            do {
                let record = try line.bytes.withUnsafeBytes { raw in
                    try parseRecord(raw, source: "\(path):\(line.line)", path: path, line: line.line, format: &fileFormat)
                }
                summary.formats[fileFormat?.rawValue ?? "?", default: 0] += 1
                try body(record)
            } catch let error as DatasetError where onBadRecord == .skip {
                if case .unknownFormat = error { throw error }
                summary.skip(error)
            }
        }
        if !sawRecord { throw DatasetError.emptyDataset(path: path) }
    }

    /// The stream's reason without repeating the path the dataset error already names.
    private static func unreadable(_ path: String, _ error: StreamingError) -> DatasetError {
        if case .unreadable(_, let reason) = error { return .unreadable(path: path, message: reason) }
        return .unreadable(path: path, message: "\(error)")
    }

    private func parseRecord(_ line: UnsafeRawBufferPointer, source: String, path: String, line lineNumber: Int,
                             format: inout DatasetFormat?) throws -> SourcedRecord {
        let value: JSONValue
        do { value = try JSONParser.parse(line, source: path) } catch let error as JSONSyntaxError {
            throw DatasetError.badRecord(record: "\(path):\(lineNumber):\(error.column)", message: "invalid JSON: \(error.message)")
        }
        guard let object = value.objectValue else {
            throw DatasetError.badRecord(record: source, message: "a record must be a JSON object, got \(RecordFields.kind(value))")
        }
        if format == nil {
            guard let detected = DatasetFormat.detect(object) else {
                throw DatasetError.unknownFormat(record: source, keys: object.keys)
            }
            format = detected
        }
        return SourcedRecord(record: try format!.convert(object, source: source), source: source)
    }
}
