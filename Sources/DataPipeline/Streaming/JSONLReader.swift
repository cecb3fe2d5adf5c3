import Foundation
import Storage

/// Where a JSONL reader stands: the byte offset (in the decompressed stream) of the next line and
/// that line's 1-based number. Saved in trainer state for an exact resume.
public struct JSONLPosition: Sendable, Equatable, Hashable {
    public var byteOffset: Int64
    public var line: Int
    public init(byteOffset: Int64, line: Int) { self.byteOffset = byteOffset; self.line = line }
    public static let start = JSONLPosition(byteOffset: 0, line: 1)
}

/// One line of a JSONL file, without its line break (a trailing `\r` is removed too).
public struct JSONLLine: Sendable {
    public let bytes: [UInt8]
    public let line: Int
    /// Offset of the line's first byte in the decompressed stream.
    public let byteOffset: Int64
}

/// One parsed record, where it starts, and where the record after it starts (the resume point).
public struct JSONLRecord: Sendable {
    public let value: JSONValue
    public let line: Int
    public let byteOffset: Int64
    public let next: JSONLPosition
}

/// Streams a `.jsonl` or `.jsonl.zst` file line by line in constant memory (one read chunk plus
/// the longest line). Blank lines are skipped by `nextRecord()`. Resuming at a saved position
/// seeks in a plain file; a zstd file is decoded from the start and the bytes before the position
/// discarded, because zstd frames cannot be entered in the middle.
public final class JSONLReader {
    public let path: String
    public let maximumLineBytes: Int
    private let stream: DecompressedByteStream
    private var buffer: [UInt8] = []
    private var consumed = 0          // bytes of `buffer` already returned
    private var bufferOffset: Int64   // stream offset of buffer[0]
    private var nextLineNumber: Int
    private var atEnd = false

    /// The position of the next unread line.
    public var position: JSONLPosition { JSONLPosition(byteOffset: bufferOffset + Int64(consumed), line: nextLineNumber) }

    public init(url: URL, resumingAt start: JSONLPosition = .start, maximumLineBytes: Int = 256 << 20) throws {
        path = url.path
        self.maximumLineBytes = maximumLineBytes
        stream = try DecompressedByteStream(url: url)
        bufferOffset = 0
        nextLineNumber = start.line
        guard start.byteOffset > 0 else { return }
        try skip(to: start.byteOffset)
    }

    private func skip(to offset: Int64) throws {
        if !stream.isCompressed {
            try stream.seek(to: offset - 1)
            bufferOffset = offset - 1
        }
        // Discard decoded bytes up to offset - 1 and keep that one byte to check it ends a line.
        while bufferOffset + Int64(buffer.count) < offset {
            bufferOffset += Int64(buffer.count)
            buffer.removeAll(keepingCapacity: true)
            guard try stream.readChunk(into: &buffer) else {
                throw StreamingError.badResumeOffset(file: path, offset: offset, reason: "the file has only \(bufferOffset) bytes")
            }
        }
        let index = Int(offset - 1 - bufferOffset)
        consumed = index + 1
        guard buffer[index] != 0x0A else { return }
        // Also valid: the end of a file whose last line has no line break.
        if consumed == buffer.count, try !stream.readChunk(into: &buffer) {
            atEnd = true
            return
        }
        throw StreamingError.badResumeOffset(file: path, offset: offset, reason: "not the start of a line")
    }

    /// The next line, or nil at end of file.
    public func nextLine() throws -> JSONLLine? {
        while true {
            let newline: Int? = buffer.withUnsafeBufferPointer { b in
                guard consumed < b.count else { return nil }
                guard let hit = memchr(b.baseAddress! + consumed, 0x0A, b.count - consumed) else { return nil }
                return b.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            if let newline {
                if newline - consumed > maximumLineBytes {
                    throw StreamingError.lineTooLong(file: path, line: nextLineNumber, limit: maximumLineBytes)
                }
                return take(upTo: newline, skipping: 1)
            }
            if atEnd {
                return consumed < buffer.count ? take(upTo: buffer.count, skipping: 0) : nil
            }
            if buffer.count - consumed > maximumLineBytes {
                throw StreamingError.lineTooLong(file: path, line: nextLineNumber, limit: maximumLineBytes)
            }
            // Drop what was returned, then read more.
            if consumed > 0 {
                buffer.removeFirst(consumed)
                bufferOffset += Int64(consumed)
                consumed = 0
            }
            if try !stream.readChunk(into: &buffer) { atEnd = true }
        }
    }

    private func take(upTo end: Int, skipping separator: Int) -> JSONLLine {
        var contentEnd = end
        if contentEnd > consumed && buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
        let line = JSONLLine(bytes: Array(buffer[consumed..<contentEnd]), line: nextLineNumber,
                             byteOffset: bufferOffset + Int64(consumed))
        consumed = end + separator
        nextLineNumber += 1
        return line
    }

    /// The next non-blank line parsed as JSON, or nil at end of file.
    public func nextRecord() throws -> JSONLRecord? {
        while let line = try nextLine() {
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                let value = try JSONParser.parse(line.bytes, source: path)
                return JSONLRecord(value: value, line: line.line, byteOffset: line.byteOffset, next: position)
            } catch let error as JSONSyntaxError {
                throw StreamingError.invalidRecord(file: path, line: line.line, column: error.column, message: error.message)
            }
        }
        return nil
    }
}
