import Foundation

/// What a token cache was built from. The cache is reused only when every field matches, so a
/// new tokenizer, template, source file or option rebuilds it.
public struct TokenCacheKey: Sendable, Equatable {
    /// SHA-256 of the tokenizer files (tiktoken.model + tokenizer_config.json).
    public var tokenizer: String
    /// SHA-256 of the chat template text.
    public var template: String
    /// SHA-256 over each source file's path and contents, in order.
    public var sources: String
    /// The options that change the examples (format, masks, on_bad_record), as one string.
    public var options: String

    public init(tokenizer: String, template: String, sources: String, options: String) {
        self.tokenizer = tokenizer
        self.template = template
        self.sources = sources
        self.options = options
    }

    /// Attribute name and value pairs, in a fixed order.
    var fields: [(name: String, value: String)] {
        [("tokenizer_sha256", tokenizer), ("template_sha256", template), ("sources_sha256", sources), ("options", options)]
    }

    /// SHA-256 of files' contents, each preceded by its path (so renaming a file also rebuilds).
    /// Reads in 1 MiB pieces so large datasets are not loaded whole.
    public static func hashFiles(_ paths: [String]) throws -> String {
        var hash = SHA256()
        for path in paths {
            hash.update(Array(path.utf8) + [0])
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw TokenCacheError.unreadableSource(path: path)
            }
            defer { try? handle.close() }
            while true {
                let piece: Data
                do { piece = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                    throw TokenCacheError.unreadableSource(path: path)
                }
                if piece.isEmpty { break }
                piece.withUnsafeBytes { hash.update($0) }
            }
            hash.update([UInt8](repeating: 0xff, count: 1))
        }
        return hash.hexDigest
    }
}

public enum TokenCacheError: Error, CustomStringConvertible, Equatable {
    case unreadableSource(path: String)

    public var description: String {
        switch self {
        case .unreadableSource(let path): return "\(path): cannot read dataset file to fingerprint it"
        }
    }
}
