import Foundation

/// A fresh directory under the system temp folder, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL
    public init(_ label: String = "kimi-sft-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public var path: String { url.path }
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The shared/ folder beside the checkout (real Kimi templates), or nil when this clone has none.
public func sharedFixturesDirectory(from file: String = #filePath) -> URL? {
    var dir = URL(fileURLWithPath: file).deletingLastPathComponent()
    for _ in 0..<6 {
        let candidate = dir.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        let inside = dir.appendingPathComponent("shared/fixtures")
        if FileManager.default.fileExists(atPath: inside.path) { return inside }
        dir = dir.deletingLastPathComponent()
    }
    return nil
}
