import Foundation
import Storage

/// The merge's output folder, written as `OUT.partial-<pid>` next to OUT and renamed into place
/// only when complete, so a failed or interrupted merge never leaves something at OUT that looks
/// like a valid checkpoint. An existing non-empty OUT is refused unless `overwrite`.
final class StagedOutputDirectory {
    let destination: URL
    let staging: URL
    private var committed = false

    /// Refuses an existing OUT that is not an empty folder, unless `overwrite` (checked up front,
    /// before any slow work, and again when the staging folder is created).
    static func checkAvailable(_ destination: URL, overwrite: Bool) throws {
        let fm = FileManager.default
        let path = destination.standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory), !overwrite else { return }
        let isEmptyFolder = isDirectory.boolValue && ((try? fm.contentsOfDirectory(atPath: path))?.isEmpty ?? false)
        if !isEmptyFolder { throw MergeError.outputExists(path: path) }
    }

    init(destination: URL, overwrite: Bool) throws {
        let fm = FileManager.default
        self.destination = destination.standardizedFileURL
        try Self.checkAvailable(destination, overwrite: overwrite)
        staging = URL(fileURLWithPath: self.destination.path + ".partial-\(getpid())")
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(file: staging.path, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
    }

    deinit { if !committed { discard() } }

    func discard() { try? FileManager.default.removeItem(at: staging) }

    /// Renames the staging folder to OUT; a replaced OUT is moved aside first and removed after.
    func commit() throws {
        let fm = FileManager.default
        var replaced: URL?
        if fm.fileExists(atPath: destination.path) {
            let aside = URL(fileURLWithPath: destination.path + ".replaced-\(getpid())")
            try? fm.removeItem(at: aside)
            guard rename(destination.path, aside.path) == 0 else {
                throw CheckpointError.io(file: destination.path, reason: "cannot move the old output aside: \(String(cString: strerror(errno)))")
            }
            replaced = aside
        }
        guard rename(staging.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if let aside = replaced { _ = rename(aside.path, destination.path) }
            throw CheckpointError.io(file: destination.path, reason: "cannot rename \(staging.lastPathComponent) into place: \(reason)")
        }
        committed = true
        if let aside = replaced { try? fm.removeItem(at: aside) }
    }
}
