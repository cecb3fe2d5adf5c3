import Foundation

/// The name, dtype and shape of a tensor to be written; its data is streamed separately.
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]

    public init(name: String, dtype: SafetensorsDType, shape: [Int]) {
        self.name = name; self.dtype = dtype; self.shape = shape
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { elementCount * dtype.size }
}

/// Writes one safetensors file in a single pass: the header first (every tensor's spec is known
/// up front), then each tensor's bytes in header order, streamed by the caller so a shard never
/// has to be assembled in memory. The file appears under its real name only on `finish()`.
///
/// Offsets are contiguous (the Rust/Python safetensors loaders reject gaps) and the header is
/// padded with spaces to a multiple of 8, so with tensors ordered by decreasing element size
/// (`alignedOrder`) every tensor starts aligned to its element size.
public final class SafetensorsWriter {
    public let specs: [TensorSpec]
    public let totalDataBytes: Int
    private let file: AtomicFileWriter
    private let dataStart: Int
    private var nextTensor = 0
    /// Bytes of the current tensor still to be written.
    private var remainingInTensor: Int

    public init(destination: URL, tensors: [TensorSpec], metadata: [String: String] = ["format": "pt"]) throws {
        specs = tensors
        var header = JSONObject()
        if !metadata.isEmpty {
            header["__metadata__"] = .object(JSONObject(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
        }
        var offset = 0
        for spec in tensors {
            precondition(header[spec.name] == nil, "tensor '\(spec.name)' listed twice")
            header[spec.name] = .object(JSONObject([
                ("dtype", .string(spec.dtype.rawValue)),
                ("shape", .array(spec.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(offset + spec.byteCount)])),
            ]))
            offset += spec.byteCount
        }
        totalDataBytes = offset
        var headerBytes = Array(JSONSerializer(separators: (item: ",", key: ":")).serialize(.object(header)).utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        file = try AtomicFileWriter(destination: destination)
        try file.write(withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { Array($0) })
        try file.write(headerBytes)
        dataStart = 8 + headerBytes.count
        remainingInTensor = tensors.first?.byteCount ?? 0
        skipEmptyTensors()
    }

    /// Tensors sorted by decreasing element size, so each starts aligned; within one element size,
    /// tiny tensors (INT4 `weight_shape`, 64 bytes or less) come first so that in a sparse shard
    /// the few bytes actually written share disk blocks instead of touching one block each.
    /// Otherwise the given order is kept.
    public static func alignedOrder(_ specs: [TensorSpec]) -> [TensorSpec] {
        specs.enumerated().sorted { a, b in
            let x = a.element, y = b.element
            if x.dtype.size != y.dtype.size { return x.dtype.size > y.dtype.size }
            let xTiny = x.byteCount <= 64, yTiny = y.byteCount <= 64
            if xTiny != yTiny { return xTiny }
            return a.offset < b.offset
        }.map(\.element)
    }

    private func skipEmptyTensors() {
        while nextTensor < specs.count && remainingInTensor == 0 {
            nextTensor += 1
            remainingInTensor = nextTensor < specs.count ? specs[nextTensor].byteCount : 0
        }
    }

    /// The tensor whose bytes the next `append` continues, or nil when all are written.
    public var currentTensor: TensorSpec? { nextTensor < specs.count ? specs[nextTensor] : nil }

    /// Appends data bytes; a call may cover part of a tensor or run across several.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        var consumed = 0
        while consumed < bytes.count {
            guard nextTensor < specs.count else {
                throw CheckpointError.io(file: file.destination.path, reason: "more data written than the header declares")
            }
            let n = min(remainingInTensor, bytes.count - consumed)
            try file.write(UnsafeRawBufferPointer(rebasing: bytes[consumed..<(consumed + n)]))
            consumed += n
            remainingInTensor -= n
            skipEmptyTensors()
        }
    }

    public func append<T>(contentsOf values: [T]) throws {
        try values.withUnsafeBytes { try append($0) }
    }

    /// Leaves the rest of the current tensor unwritten (a hole of zeros in a sparse file) and
    /// moves to the next one.
    public func skipCurrentTensor() throws {
        guard currentTensor != nil else { return }
        try file.skip(remainingInTensor)
        remainingInTensor = 0
        skipEmptyTensors()
    }

    /// Checks every declared byte was written, then fsyncs and renames into place. With
    /// `sparse`, unwritten data becomes a hole of zeros (no disk blocks) instead of an error.
    public func finish(sparse: Bool = false) throws {
        if sparse {
            try file.extend(to: dataStart + totalDataBytes)
        } else if let pending = currentTensor {
            throw CheckpointError.io(file: file.destination.path, reason: "data for tensor '\(pending.name)' and later was never written")
        }
        try file.commit()
    }
}
