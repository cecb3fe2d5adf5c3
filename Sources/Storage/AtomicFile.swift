import Foundation

/// A file written under a temporary name in its final folder, flushed with fsync and renamed into
/// place on `commit()`: a crash or a full disk never leaves a half-written shard or config under
/// the real name. Not committing (an error, or deinit) removes the temporary file.
public final class AtomicFileWriter {
    public let destination: URL
    public let temporaryPath: String
    private var fd: Int32
    private var committed = false
    /// Bytes written so far (the position of the next write).
    public private(set) var offset: Int = 0

    public init(destination: URL) throws {
        self.destination = destination
        let folder = destination.deletingLastPathComponent().path
        temporaryPath = folder + "/." + destination.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CheckpointError.io(file: temporaryPath, reason: String(cString: strerror(errno))) }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }

    private func failure(_ what: String) -> CheckpointError {
        .io(file: destination.path, reason: "\(what): \(String(cString: strerror(errno)))")
    }

    /// Appends `bytes`, retrying short writes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n = Foundation.write(fd, pointer, remaining)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write failed")
            }
            pointer += n
            remaining -= n
            offset += n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Moves past `count` bytes without writing them; they read as zeros (a hole) once the file
    /// is extended or written beyond them.
    public func skip(_ count: Int) throws {
        guard lseek(fd, off_t(count), SEEK_CUR) >= 0 else { throw failure("lseek failed") }
        offset += count
    }

    /// Extends the file to `size` bytes without writing them: the new range is a hole that reads as
    /// zeros and takes no disk space (sparse checkpoints).
    public func extend(to size: Int) throws {
        guard ftruncate(fd, off_t(size)) == 0 else { throw failure("ftruncate failed") }
        guard lseek(fd, off_t(size), SEEK_SET) >= 0 else { throw failure("lseek failed") }
        offset = size
    }

    /// fsync, close, rename over the destination, and fsync the folder so the rename is durable.
    public func commit() throws {
        guard fsync(fd) == 0 else { throw failure("fsync failed") }
        close(fd)
        fd = -1
        guard rename(temporaryPath, destination.path) == 0 else { throw failure("rename failed") }
        committed = true
        let folder = open(destination.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }
}

public enum AtomicFile {
    /// Writes a whole small file (config, index, tokenizer files) atomically.
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        let writer = try AtomicFileWriter(destination: url)
        try writer.write(bytes)
        try writer.commit()
    }

    public static func write(_ text: String, to url: URL) throws {
        try write(Array(text.utf8), to: url)
    }
}
