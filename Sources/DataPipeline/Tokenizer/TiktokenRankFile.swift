import Foundation

/// The `tiktoken.model` format: one `base64(token bytes) rank` line per base token. Loading is
/// stricter than tiktoken's (which silently keeps the last of duplicate tokens): duplicates, gaps
/// and missing single bytes are errors naming the line, because they change which ids a text gets.
public enum TiktokenRankFile {
    public static func load(_ url: URL) throws -> ByteRankTable {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        return try parse(data, source: url.path)
    }

    public static func parse(_ data: Data, source: String) throws -> ByteRankTable {
        let bytes = [UInt8](data)
        var table = ByteRankTable(capacity: max(256, bytes.count / 12))
        var lineOfRank: [Int: Int] = [:]
        var rankOfEntry: [Int] = []
        try bytes.withUnsafeBufferPointer { text in
            var lineNumber = 0
            var start = 0
            while start < text.count {
                lineNumber += 1
                var end = start
                while end < text.count && text[end] != 0x0A { end += 1 }
                var lineEnd = end
                if lineEnd > start && text[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                defer { start = end + 1 }
                let fields = splitFields(text, start, lineEnd)
                if fields.isEmpty { continue }
                guard fields.count == 2 else {
                    throw TokenizerError.badRankLine(file: source, line: lineNumber,
                                                     reason: "expected 'base64 rank', found \(fields.count) field(s)")
                }
                let token: [UInt8]
                switch Base64.decode(UnsafeBufferPointer(rebasing: text[fields[0]])) {
                case .success(let b): token = b
                case .failure(let f): throw TokenizerError.badRankLine(file: source, line: lineNumber, reason: "bad base64: \(f.reason)")
                }
                let rankText = String(decoding: UnsafeBufferPointer(rebasing: text[fields[1]]), as: UTF8.self)
                guard let rank = Int(rankText), rank >= 0, rank < Int(Int32.max) else {
                    throw TokenizerError.badRankLine(file: source, line: lineNumber, reason: "rank '\(rankText)' is not a non-negative integer")
                }
                if let first = lineOfRank[rank] {
                    throw TokenizerError.duplicateRank(file: source, line: lineNumber, rank: rank, firstLine: first)
                }
                if !table.insert(token, rank: rank) {
                    let existing = table.rank(of: token)!
                    throw TokenizerError.duplicateToken(file: source, line: lineNumber, firstLine: lineOfRank[existing] ?? 0)
                }
                lineOfRank[rank] = lineNumber
                rankOfEntry.append(rank)
            }
        }
        if table.rankLimit != table.count {
            let outside = rankOfEntry.first { $0 >= table.count } ?? table.rankLimit - 1
            throw TokenizerError.ranksNotDense(file: source, rank: outside, count: table.count)
        }
        for b in 0...255 where table.rank(of: [UInt8(b)]) == nil {
            throw TokenizerError.missingByte(file: source, byte: UInt8(b))
        }
        return table
    }

    /// Whitespace-separated fields of `text[start..<end]`, as Python's `str.split()` finds them.
    private static func splitFields(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [Range<Int>] {
        var fields: [Range<Int>] = []
        var i = start
        while i < end {
            while i < end && isSpace(text[i]) { i += 1 }
            if i == end { break }
            let s = i
            while i < end && !isSpace(text[i]) { i += 1 }
            fields.append(s..<i)
        }
        return fields
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C }

    /// The file text for `ranks` (bytes in rank order), one `base64 rank` line each.
    public static func serialize(_ tokens: [[UInt8]]) -> String {
        var out = ""
        out.reserveCapacity(tokens.count * 12)
        for (rank, token) in tokens.enumerated() {
            out += Base64.encode(token)
            out += " \(rank)\n"
        }
        return out
    }
}
