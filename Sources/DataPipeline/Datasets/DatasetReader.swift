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

    /// Streams one file's records to `body`.
    public func forEachRecord(in path: String, summary: inout DatasetSummary, _ body: (SourcedRecord) throws -> Void) throws {
        if path.hasSuffix(".zst") {
            throw DatasetError.unreadable(path: path, message: "zstd-compressed datasets need the streaming reader; decompress it first")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DatasetError.unreadable(path: path, message: (error as NSError).localizedDescription)
        }
        var fileFormat = format
        var sawRecord = false
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var lineStart = 0, lineNumber = 0
            while lineStart < raw.count {
                lineNumber += 1
                var lineEnd = lineStart
                while lineEnd < raw.count && raw[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                let next = lineEnd + 1
                var end = lineEnd
                if end > lineStart && raw[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = UnsafeRawBufferPointer(rebasing: raw[lineStart..<end])
                lineStart = next
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                sawRecord = true
                summary.recordsRead += 1
                let source = "\(path):\(lineNumber)"
                do {
                    let record = try parseRecord(line, source: source, path: path, line: lineNumber, format: &fileFormat)
                    summary.formats[fileFormat?.rawValue ?? "?", default: 0] += 1
                    try body(record)
                } catch let error as DatasetError where onBadRecord == .skip {
                    if case .unknownFormat = error { throw error }
                    summary.skip(error)
                }
            }
        }
        if !sawRecord { throw DatasetError.emptyDataset(path: path) }
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
