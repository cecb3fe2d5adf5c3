import Foundation

/// The `checkpoint-N` folders of an output_dir: atomic creation (everything is written into
/// `checkpoint-N.tmp`, each file and the folder fsync'ed, then renamed, so a kill at any moment
/// leaves either a complete checkpoint or none under the real name), rotation by
/// save_total_limit, and the newest one for `resume_from_checkpoint: true`.
public struct CheckpointDirectory: Sendable {
    public static let prefix = "checkpoint-"
    public let outputDirectory: URL

    public init(outputDirectory: URL) { self.outputDirectory = outputDirectory }

    public func url(step: Int) -> URL { outputDirectory.appendingPathComponent("\(Self.prefix)\(step)") }

    /// Complete checkpoints (those with a trainer state file), oldest first.
    public func checkpoints() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix(Self.prefix), let step = Int(name.dropFirst(Self.prefix.count)) else { return nil }
            let url = outputDirectory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent(TrainerStateFile.stateFileName).path) else { return nil }
            return (step, url)
        }.sorted { $0.0 < $1.0 }
    }

    public func latest() -> URL? { checkpoints().last?.url }

    /// Writes checkpoint-`step` through `body` (which fills the folder it is given) atomically,
    /// then deletes the oldest checkpoints beyond `keep` (nil keeps all). Returns the folder.
    @discardableResult
    public func save(step: Int, keep: Int?, _ body: (URL) throws -> Void) throws -> URL {
        let final = url(step: step)
        let temporary = outputDirectory.appendingPathComponent("\(Self.prefix)\(step).tmp")
        let files = FileManager.default
        do {
            if files.fileExists(atPath: temporary.path) { try files.removeItem(at: temporary) }
            try files.createDirectory(at: temporary, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.io(path: temporary.path, reason: "cannot create the checkpoint folder: \(error.localizedDescription)")
        }
        try body(temporary)
        let names = (try? files.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names { try Self.sync(temporary.appendingPathComponent(name)) }
        try Self.sync(temporary)
        do {
            if files.fileExists(atPath: final.path) { try files.removeItem(at: final) }
            guard rename(temporary.path, final.path) == 0 else {
                throw TrainingError.io(path: final.path, reason: "cannot rename \(temporary.lastPathComponent): \(String(cString: strerror(errno)))")
            }
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.io(path: final.path, reason: error.localizedDescription)
        }
        try Self.sync(outputDirectory)
        if let keep { try rotate(keeping: max(1, keep)) }
        return final
    }

    /// Deletes all but the newest `keep` checkpoints.
    public func rotate(keeping keep: Int) throws {
        let all = checkpoints()
        for old in all.dropLast(keep) {
            do { try FileManager.default.removeItem(at: old.url) } catch {
                throw TrainingError.io(path: old.url.path, reason: "cannot delete old checkpoint: \(error.localizedDescription)")
            }
        }
    }

    /// Removes every checkpoint-N (and leftover .tmp) folder: a fresh run with overwrite_output_dir.
    public func removeAll() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory.path)) ?? []
        for name in names where name.hasPrefix(Self.prefix) {
            let url = outputDirectory.appendingPathComponent(name)
            do { try FileManager.default.removeItem(at: url) } catch {
                throw TrainingError.io(path: url.path, reason: "cannot delete: \(error.localizedDescription)")
            }
        }
    }

    /// fsync of a file or folder, so the rename that publishes it is durable after it.
    static func sync(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw TrainingError.io(path: url.path, reason: "cannot open for fsync: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw TrainingError.io(path: url.path, reason: "fsync failed: \(String(cString: strerror(errno)))") }
    }
}
