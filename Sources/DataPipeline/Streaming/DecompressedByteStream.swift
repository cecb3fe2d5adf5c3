import Foundation
import Storage

/// A file's bytes in chunks, decompressed on the fly when it is zstd (detected by the frame magic,
/// so `.jsonl.zst` and a renamed file both work). Memory is one read chunk plus zstd's window.
final class DecompressedByteStream {
    static let readChunkSize = 1 << 20

    let path: String
    private let handle: FileHandle
    private let decompressor: ZstdDecompressor?
    private var finished = false
    private var compressed: [UInt8] = []

    init(url: URL) throws {
        path = url.path
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw StreamingError.unreadable(file: url.path, reason: (error as NSError).localizedDescription)
        }
        let magic: Data
        do {
            magic = try handle.read(upToCount: 4) ?? Data()
            try handle.seek(toOffset: 0)
        } catch {
            throw StreamingError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        decompressor = Zstd.hasMagic(magic) ? try ZstdDecompressor(source: url.path) : nil
    }

    deinit { try? handle.close() }

    var isCompressed: Bool { decompressor != nil }

    /// Appends the next chunk of (decompressed) bytes to `buffer`; false at end of file.
    func readChunk(into buffer: inout [UInt8]) throws -> Bool {
        while !finished {
            let data: Data?
            do { data = try handle.read(upToCount: Self.readChunkSize) } catch {
                throw StreamingError.unreadable(file: path, reason: error.localizedDescription)
            }
            guard let data, !data.isEmpty else {
                finished = true
                try decompressor?.finish()
                return false
            }
            guard let decompressor else {
                buffer.append(contentsOf: data)
                return true
            }
            let before = buffer.count
            try data.withUnsafeBytes { try decompressor.decompress($0, into: &buffer) }
            if buffer.count > before { return true }
        }
        return false
    }

    /// Moves a plain file's read position; compressed streams cannot seek (the caller decodes and
    /// discards instead).
    func seek(to offset: Int64) throws {
        precondition(decompressor == nil, "seek on a compressed stream")
        do { try handle.seek(toOffset: UInt64(offset)) } catch {
            throw StreamingError.badResumeOffset(file: path, offset: offset, reason: error.localizedDescription)
        }
    }
}
