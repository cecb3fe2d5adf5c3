/// One safetensors file, memory-mapped, with its header validated strictly before any view is
/// handed out: a bad header must become an error naming the file and tensor, never a read out of
/// bounds. Layout: 8-byte little-endian header length N, N bytes of JSON
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the data.
public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    public let mapped: MappedFile
    /// Tensor names in header order.
    public let names: [String]
    public let metadata: [String: String]
    /// Absolute file offset where the data region starts (8 + N).
    public let dataStart: Int
    private let entries: [String: Entry]

    struct Entry {
        let dtype: SafetensorsDType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    public init(path: String) throws {
        self.path = path
        mapped = try MappedFile(path: path)
        guard mapped.size >= 8 else { throw CheckpointError.truncatedHeader(file: path, headerLength: 0, fileSize: mapped.size) }
        let length = UInt64(littleEndian: mapped.bytes(0..<8).loadUnaligned(as: UInt64.self))
        guard length <= UInt64(mapped.size - 8) else {
            throw CheckpointError.truncatedHeader(file: path, headerLength: length, fileSize: mapped.size)
        }
        dataStart = 8 + Int(length)
        let header: JSONValue
        do {
            header = try JSONParser.parse(mapped.bytes(8..<dataStart), source: path)
        } catch {
            throw CheckpointError.malformedHeader(file: path, reason: "\(error)")
        }
        let parsed = try Self.parseHeader(header, file: path, dataSize: mapped.size - dataStart)
        names = parsed.names
        entries = parsed.entries
        metadata = parsed.metadata
    }

    /// Validates every entry: known dtype, non-negative shape, element count x dtype size equal to
    /// the offsets' span, inside the data region, and no two spans overlapping.
    static func parseHeader(_ header: JSONValue, file: String, dataSize: Int)
        throws -> (names: [String], entries: [String: Entry], metadata: [String: String]) {
        guard let object = header.objectValue else {
            throw CheckpointError.malformedHeader(file: file, reason: "the header is not a JSON object")
        }
        var names: [String] = []
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        names.reserveCapacity(object.count)
        entries.reserveCapacity(object.count)
        for (name, value) in object.pairs {
            if name == "__metadata__" {
                guard let meta = value.objectValue else {
                    throw CheckpointError.malformedHeader(file: file, reason: "__metadata__ is not an object")
                }
                for (key, v) in meta.pairs {
                    guard let s = v.stringValue else {
                        throw CheckpointError.malformedHeader(file: file, reason: "__metadata__ value '\(key)' is not a string")
                    }
                    metadata[key] = s
                }
                continue
            }
            func bad(_ reason: String) -> CheckpointError { .invalidTensor(file: file, tensor: name, reason: reason) }
            guard let fields = value.objectValue else { throw bad("entry is not an object") }
            guard let dtypeName = fields["dtype"]?.stringValue else { throw bad("missing dtype") }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else { throw bad("unknown dtype '\(dtypeName)'") }
            guard let shapeValues = fields["shape"]?.arrayValue else { throw bad("missing shape") }
            var shape: [Int] = []
            var count = 1
            for dim in shapeValues {
                guard let d = dim.intValue, d >= 0 else { throw bad("shape \(shapeValues.map { "\($0)" }) is not a list of non-negative integers") }
                shape.append(d)
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw bad("shape \(shape) overflows") }
                count = product
            }
            guard let offsets = fields["data_offsets"]?.arrayValue, offsets.count == 2,
                  let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= begin else {
                throw bad("data_offsets must be [begin, end] with 0 <= begin <= end")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, bytes == end - begin else {
                throw bad("shape \(shape) x \(dtype.rawValue) (\(dtype.size) bytes) needs \(overflow ? "too many" : String(bytes)) bytes but data_offsets span \(end - begin)")
            }
            guard end <= dataSize else {
                throw CheckpointError.truncatedData(file: file, tensor: name, end: end, dataSize: dataSize)
            }
            if entries[name] == nil { names.append(name) }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: begin, end: end)
        }
        // Overlap check: sort spans by start; each must begin at or after the previous end.
        let spans = names.compactMap { n -> (String, Int, Int)? in
            let e = entries[n]!
            return e.end > e.begin ? (n, e.begin, e.end) : nil
        }.sorted { $0.1 < $1.1 }
        for i in spans.indices.dropFirst() where spans[i].1 < spans[i - 1].2 {
            throw CheckpointError.overlappingTensors(file: file, first: spans[i - 1].0, second: spans[i].0)
        }
        return (names, entries, metadata)
    }

    public func contains(_ name: String) -> Bool { entries[name] != nil }

    public func dtype(of name: String) -> SafetensorsDType? { entries[name]?.dtype }
    public func shape(of name: String) -> [Int]? { entries[name]?.shape }
    /// Bytes of `name`'s data (from the header; reads nothing).
    public func byteCount(of name: String) -> Int? { entries[name].map { $0.end - $0.begin } }

    /// A zero-copy view of `name`, or nil when the file has no such tensor.
    public func view(_ name: String) -> TensorView? {
        guard let e = entries[name] else { return nil }
        return TensorView(name: name, dtype: e.dtype, shape: e.shape,
                          bytes: mapped.bytes((dataStart + e.begin)..<(dataStart + e.end)),
                          file: path, owner: mapped)
    }
}
