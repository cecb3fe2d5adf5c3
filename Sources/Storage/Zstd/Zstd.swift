internal import CZstd

/// A zstd stream that cannot be decoded or produced, naming the file.
public enum ZstdError: Error, CustomStringConvertible, Equatable, Sendable {
    case corrupt(file: String, reason: String)
    case truncated(file: String)
    case compressionFailed(reason: String)
    case outOfMemory(file: String)

    public var description: String {
        switch self {
        case .corrupt(let file, let reason): return "\(file): invalid zstd data: \(reason)"
        case .truncated(let file): return "\(file): zstd stream ends inside a frame (truncated file?)"
        case .compressionFailed(let reason): return "zstd compression failed: \(reason)"
        case .outOfMemory(let file): return "\(file): cannot allocate a zstd decompression context"
        }
    }
}

/// Streaming zstd decompression (`ZSTD_decompressStream`) in constant memory: feed compressed
/// chunks in order, get the decompressed bytes appended. Concatenated frames are accepted, as the
/// `zstd` tool writes them. Call `finish()` at end of input to detect a truncated last frame.
public final class ZstdDecompressor {
    private let context: OpaquePointer
    private let source: String
    /// True between a frame's first byte and its end (the last call returned a non-zero hint).
    private var insideFrame = false
    private var outputChunk: [UInt8]

    public init(source: String) throws {
        guard let context = ZSTD_createDStream() else { throw ZstdError.outOfMemory(file: source) }
        self.context = context
        self.source = source
        outputChunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        ZSTD_initDStream(context)
    }

    deinit { ZSTD_freeDStream(context) }

    /// Decompresses all of `input`, appending the output to `output`.
    public func decompress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        var inBuffer = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        let chunkSize = outputChunk.count
        try outputChunk.withUnsafeMutableBytes { chunk in
            while true {
                var outBuffer = ZSTD_outBuffer(dst: chunk.baseAddress, size: chunkSize, pos: 0)
                let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                if ZSTD_isError(hint) != 0 {
                    throw ZstdError.corrupt(file: source, reason: String(cString: ZSTD_getErrorName(hint)))
                }
                insideFrame = hint != 0
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<outBuffer.pos]))
                // Done when all input is consumed and the decoder had room to spare (nothing buffered).
                if inBuffer.pos == inBuffer.size && outBuffer.pos < outBuffer.size { break }
            }
        }
    }

    /// Throws when the input ended inside a frame.
    public func finish() throws {
        if insideFrame { throw ZstdError.truncated(file: source) }
    }
}

public enum Zstd {
    /// One zstd frame holding `bytes` (used for tests and small artefacts; large data streams
    /// through the `zstd` tool).
    public static func compress(_ bytes: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { o in
            bytes.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, level) }
        }
        if ZSTD_isError(written) != 0 { throw ZstdError.compressionFailed(reason: String(cString: ZSTD_getErrorName(written))) }
        out.removeLast(bound - written)
        return out
    }

    /// True when `prefix` starts with the zstd frame magic number (28 B5 2F FD).
    public static func hasMagic(_ prefix: some Collection<UInt8>) -> Bool {
        Array(prefix.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD]
    }
}
