import Storage

/// A hand-written parser for the YAML that training recipes use: block maps and sequences
/// (including `- key: value` items and sequences at their parent key's indentation), flow `[...]`
/// and `{...}` collections over several lines, plain scalars resolved by the YAML 1.2 core schema,
/// single- and double-quoted strings with escapes and line folding, and comments.
///
/// Anchors, aliases, tags, block scalars (`|`, `>`), complex keys and multiple documents are
/// rejected with a clear error instead of being half-supported: a recipe that needs them is
/// better rewritten than silently misread.
///
/// Every block parse returns with the cursor on the first character of the next content line
/// (or at the end), so each block loop decides by that line's column whether it continues, ends,
/// or the indentation is wrong.
struct YAMLParser {
    private let text: [Unicode.Scalar]
    private let file: String
    private var lineStarts: [Int] = [0]
    private var index = 0
    private var keyPositions: [String: SourcePosition] = [:]
    private var valuePositions: [String: SourcePosition] = [:]

    init(text: String, file: String) {
        var scalars = Array(text.unicodeScalars)
        scalars.removeAll { $0 == "\r" }  // CRLF files read like LF files
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        self.text = scalars
        self.file = file
        for (k, c) in scalars.enumerated() where c == "\n" { lineStarts.append(k + 1) }
    }

    // MARK: - Document

    mutating func parseDocument() throws(YAMLError) -> YAMLDocument {
        var value = JSONValue.null
        if try nextContentLine() != nil {
            if isDocumentMarker("---") {
                index += 3
                try finishLine()
                _ = try nextContentLine()
            }
            if !atEnd && !isDocumentMarker("...") {
                value = try parseBlockNode(indent: column(index) - 1, path: "")
            }
            if isDocumentMarker("...") {
                index += 3
                try finishLine()
                _ = try nextContentLine()
            }
            if !atEnd {
                if isDocumentMarker("---") { throw error("multiple documents are not supported", at: index) }
                throw error("bad indentation: this line is less indented than the document's first line", at: index)
            }
        }
        return YAMLDocument(value: value, keyPositions: keyPositions, valuePositions: valuePositions)
    }

    // MARK: - Block structure

    /// Parses the node starting at the cursor, whose block indentation is `indent` columns.
    private mutating func parseBlockNode(indent: Int, path: String) throws(YAMLError) -> JSONValue {
        if isSequenceItem(at: index) { return try parseBlockSequence(indent: indent, path: path) }
        if try isMappingKeyLine(at: index) { return try parseBlockMapping(indent: indent, path: path) }
        return try parseInlineValue(path: path)
    }

    private mutating func parseBlockMapping(indent: Int, path: String) throws(YAMLError) -> JSONValue {
        var object = JSONObject()
        var keyLines: [String: Int] = [:]
        while true {
            let keyStart = index
            let key = try parseKey()
            if let firstLine = keyLines[key] {
                throw error("duplicate key '\(key)' (first defined on line \(firstLine))", at: keyStart)
            }
            keyLines[key] = line(keyStart)
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            keyPositions[childPath] = position(keyStart)
            object[key] = try parseMappingValue(indent: indent, path: childPath)

            if atEnd { break }
            let next = column(index) - 1
            if next < indent || isDocumentMarker("---") || isDocumentMarker("...") { break }
            if next > indent {
                throw error("bad indentation: expected column \(indent + 1) (or less) after the value of '\(key)'", at: index)
            }
            if isSequenceItem(at: index) {
                throw error("expected 'key: value' here, found a sequence item", at: index)
            }
            guard try isMappingKeyLine(at: index) else {
                throw error("expected 'key: value' here", at: index)
            }
        }
        return .object(object)
    }

    /// The value after `key:` — inline on the same line, or a block on the following lines.
    private mutating func parseMappingValue(indent: Int, path: String) throws(YAMLError) -> JSONValue {
        skipSpaces()
        if atLineEnd {
            let emptyAt = index
            try finishLine()
            guard try nextContentLine() != nil else { return recordNull(path, at: emptyAt) }
            let next = column(index) - 1
            if next > indent { return try parseBlockNode(indent: next, path: path) }
            if next == indent && isSequenceItem(at: index) { return try parseBlockSequence(indent: indent, path: path) }
            return recordNull(path, at: emptyAt)
        }
        return try parseInlineValue(path: path)
    }

    private mutating func parseBlockSequence(indent: Int, path: String) throws(YAMLError) -> JSONValue {
        var items: [JSONValue] = []
        while true {
            let itemPath = "\(path)[\(items.count)]"
            keyPositions[itemPath] = position(index)
            index += 1  // the '-'
            skipSpaces()
            if atLineEnd {
                let emptyAt = index
                try finishLine()
                if try nextContentLine() != nil, column(index) - 1 > indent {
                    items.append(try parseBlockNode(indent: column(index) - 1, path: itemPath))
                } else {
                    items.append(recordNull(itemPath, at: emptyAt))
                }
            } else {
                // `- key: value` or `- - x`: the item's own block starts at this column.
                items.append(try parseBlockNode(indent: column(index) - 1, path: itemPath))
            }

            if atEnd { break }
            let next = column(index) - 1
            if next < indent { break }
            if next > indent { throw error("bad indentation: expected column \(indent + 1) for the next item", at: index) }
            if !isSequenceItem(at: index) { break }  // a parent map at the same column continues
        }
        return .array(items)
    }

    /// A flow collection, quoted string or plain scalar on the current line, then the line's end.
    private mutating func parseInlineValue(path: String) throws(YAMLError) -> JSONValue {
        let start = index
        let value: JSONValue
        switch at(index) {
        case "[", "{", "\"", "'":
            value = try parseFlowNode(path: path)
        case "&", "*", "!":
            throw error("anchors, aliases and tags are not supported", at: index)
        case "|", ">":
            throw error("block scalars ('|' and '>') are not supported; use a quoted string with \\n escapes", at: index)
        case "?":
            throw error("complex keys ('?') are not supported", at: index)
        case "]", "}", ",", "@", "`":
            throw error("unexpected '\(at(index))'", at: index)
        default:
            let raw = readPlainBlockScalar()
            if raw.contains(": ") || raw.hasSuffix(":") {
                throw error("mapping values are not allowed here (put nested keys on their own lines)", at: start)
            }
            valuePositions[path] = position(start)
            value = resolvePlainScalar(raw)
        }
        try finishLine()
        _ = try nextContentLine()
        return value
    }

    // MARK: - Flow collections

    private mutating func parseFlowNode(path: String) throws(YAMLError) -> JSONValue {
        try skipFlowWhitespace()
        let start = index
        valuePositions[path] = position(start)
        switch at(index) {
        case "[":
            index += 1
            var items: [JSONValue] = []
            while true {
                try skipFlowWhitespace()
                if atEnd { throw error("unclosed '[' (opened at \(position(start)))", at: start) }
                if at(index) == "]" { index += 1; break }
                let itemPath = "\(path)[\(items.count)]"
                keyPositions[itemPath] = position(index)
                items.append(try parseFlowNode(path: itemPath))
                try skipFlowWhitespace()
                if at(index) == "," { index += 1; continue }
                if at(index) == "]" { index += 1; break }
                if atEnd || line(index) > line(start) && column(index) == 1 {
                    throw error("unclosed '[' (opened at \(position(start)))", at: start)
                }
                throw error("expected ',' or ']' in flow sequence", at: index)
            }
            return .array(items)
        case "{":
            index += 1
            var object = JSONObject()
            var keyLines: [String: Int] = [:]
            while true {
                try skipFlowWhitespace()
                if atEnd { throw error("unclosed '{' (opened at \(position(start)))", at: start) }
                if at(index) == "}" { index += 1; break }
                let keyStart = index
                let key: String
                switch at(index) {
                case "\"": key = try readDoubleQuoted()
                case "'": key = try readSingleQuoted()
                case "[", "{": throw error("collection keys are not supported", at: index)
                default: key = readPlainFlowScalar()
                }
                if key.isEmpty { throw error("expected a key in flow mapping", at: keyStart) }
                if let firstLine = keyLines[key] {
                    throw error("duplicate key '\(key)' (first defined on line \(firstLine))", at: keyStart)
                }
                keyLines[key] = line(keyStart)
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                keyPositions[childPath] = position(keyStart)
                try skipFlowWhitespace()
                guard at(index) == ":" else {
                    if atEnd { throw error("unclosed '{' (opened at \(position(start)))", at: start) }
                    throw error("expected ':' after key '\(key)' in flow mapping", at: index)
                }
                index += 1
                try skipFlowWhitespace()
                if at(index) == "," || at(index) == "}" {
                    object[key] = recordNull(childPath, at: index)
                } else {
                    object[key] = try parseFlowNode(path: childPath)
                }
                try skipFlowWhitespace()
                if at(index) == "," { index += 1; continue }
                if at(index) == "}" { index += 1; break }
                if atEnd || line(index) > line(start) && column(index) == 1 {
                    throw error("unclosed '{' (opened at \(position(start)))", at: start)
                }
                throw error("expected ',' or '}' in flow mapping", at: index)
            }
            return .object(object)
        case "\"":
            return .string(try readDoubleQuoted())
        case "'":
            return .string(try readSingleQuoted())
        case "&", "*", "!":
            throw error("anchors, aliases and tags are not supported", at: index)
        default:
            if atEnd { throw error("unexpected end of file in flow collection", at: index) }
            let raw = readPlainFlowScalar()
            if raw.isEmpty { throw error("unexpected '\(at(index))'", at: index) }
            return resolvePlainScalar(raw)
        }
    }

    // MARK: - Keys and scalars

    /// Reads `key:` (plain or quoted) and consumes the colon.
    private mutating func parseKey() throws(YAMLError) -> String {
        let start = index
        let key: String
        if at(index) == "\"" || at(index) == "'" {
            key = at(index) == "\"" ? try readDoubleQuoted() : try readSingleQuoted()
            skipSpaces()
        } else {
            var end = index
            while !isLineEnd(end) && !(at(end) == ":" && isSeparator(at(end + 1))) { end += 1 }
            key = String(String.UnicodeScalarView(text[index..<end])).trimmingSpaces()
            index = end
        }
        guard at(index) == ":" else { throw error("expected ':' after key", at: start) }
        if key.isEmpty { throw error("empty key", at: start) }
        index += 1
        return key
    }

    /// True when the line from `k` reads `key: ...` or `key:` (plain or quoted key).
    private func isMappingKeyLine(at k: Int) throws(YAMLError) -> Bool {
        var j = k
        let first = at(j)
        if first == "[" || first == "{" { return false }
        if first == "\"" || first == "'" {
            j += 1
            while !isLineEnd(j) {
                if at(j) == "\\" && first == "\"" { j += 2; continue }
                if at(j) == first {
                    if first == "'" && at(j + 1) == "'" { j += 2; continue }
                    break
                }
                j += 1
            }
            if isLineEnd(j) { return false }
            j += 1
            while at(j) == " " || at(j) == "\t" { j += 1 }
            return at(j) == ":" && isSeparator(at(j + 1))
        }
        while !isLineEnd(j) {
            if at(j) == ":" && isSeparator(at(j + 1)) { return true }
            if (at(j) == " " || at(j) == "\t") && at(j + 1) == "#" { return false }
            j += 1
        }
        return false
    }

    /// A plain scalar in block context: up to the end of the line or a ` #` comment.
    private mutating func readPlainBlockScalar() -> String {
        let start = index
        var end = index
        while !isLineEnd(end) && !((at(end) == " " || at(end) == "\t") && at(end + 1) == "#") { end += 1 }
        index = end
        return String(String.UnicodeScalarView(text[start..<end])).trimmingSpaces()
    }

    /// A plain scalar inside `[...]` / `{...}`: stops at flow indicators, `: ` and line ends.
    private mutating func readPlainFlowScalar() -> String {
        let start = index
        var end = index
        while !isLineEnd(end) {
            let c = at(end)
            if c == "," || c == "[" || c == "]" || c == "{" || c == "}" { break }
            if c == ":" && (isSeparator(at(end + 1)) || "[]{},".unicodeScalars.contains(at(end + 1))) { break }
            if (c == " " || c == "\t") && at(end + 1) == "#" { break }
            end += 1
        }
        index = end
        return String(String.UnicodeScalarView(text[start..<end])).trimmingSpaces()
    }

    private mutating func readDoubleQuoted() throws(YAMLError) -> String {
        let open = index
        index += 1
        var out = String.UnicodeScalarView()
        while true {
            if atEnd { throw error("unclosed double-quoted string (opened at \(position(open)))", at: open) }
            let c = at(index)
            if c == "\"" { index += 1; break }
            if c == "\n" { foldLineBreak(into: &out); continue }
            if c != "\\" { out.append(c); index += 1; continue }
            let escapeAt = index
            index += 1
            let e = at(index)
            index += 1
            switch e {
            case "0": out.append("\0")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "t", "\t": out.append("\t")
            case "n": out.append("\n")
            case "v": out.append("\u{0B}")
            case "f": out.append("\u{0C}")
            case "r": out.append("\r")
            case "e": out.append("\u{1B}")
            case " ": out.append(" ")
            case "\"": out.append("\"")
            case "/": out.append("/")
            case "\\": out.append("\\")
            case "N": out.append("\u{85}")
            case "_": out.append("\u{A0}")
            case "L": out.append("\u{2028}")
            case "P": out.append("\u{2029}")
            case "x", "u", "U":
                let digits = e == "x" ? 2 : (e == "u" ? 4 : 8)
                var code: UInt32 = 0
                for _ in 0..<digits {
                    guard let d = hexValue(at(index)) else {
                        throw error("invalid escape '\\\(e)': expected \(digits) hex digits", at: escapeAt)
                    }
                    code = code * 16 + d
                    index += 1
                }
                guard let scalar = Unicode.Scalar(code) else {
                    throw error("escape '\\\(e)' is not a valid Unicode scalar", at: escapeAt)
                }
                out.append(scalar)
            case "\n":
                // An escaped line break joins the lines without a space.
                while at(index) == " " || at(index) == "\t" { index += 1 }
            default:
                if e == "\0" && index > text.count {
                    throw error("unclosed double-quoted string (opened at \(position(open)))", at: open)
                }
                throw error("unknown escape '\\\(e)' in double-quoted string", at: escapeAt)
            }
        }
        return String(out)
    }

    private mutating func readSingleQuoted() throws(YAMLError) -> String {
        let open = index
        index += 1
        var out = String.UnicodeScalarView()
        while true {
            if atEnd { throw error("unclosed single-quoted string (opened at \(position(open)))", at: open) }
            let c = at(index)
            if c == "'" {
                if at(index + 1) == "'" { out.append("'"); index += 2; continue }
                index += 1
                break
            }
            if c == "\n" { foldLineBreak(into: &out); continue }
            out.append(c)
            index += 1
        }
        return String(out)
    }

    /// YAML line folding inside quoted strings: a single line break becomes a space, each blank
    /// line becomes a newline, and whitespace around the break is dropped.
    private mutating func foldLineBreak(into out: inout String.UnicodeScalarView) {
        while let last = out.last, last == " " || last == "\t" { out.removeLast() }
        var blankLines = 0
        index += 1
        while true {
            while at(index) == " " || at(index) == "\t" { index += 1 }
            if at(index) == "\n" && !atEnd { blankLines += 1; index += 1 } else { break }
        }
        if blankLines == 0 { out.append(" ") } else { for _ in 0..<blankLines { out.append("\n") } }
    }

    // MARK: - Lines, whitespace, positions

    private var atEnd: Bool { index >= text.count }
    private var atLineEnd: Bool { isLineEnd(index) || at(index) == "#" }

    private func at(_ k: Int) -> Unicode.Scalar { k < text.count ? text[k] : "\0" }
    private func isLineEnd(_ k: Int) -> Bool { k >= text.count || text[k] == "\n" }
    private func isSeparator(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\0" }
    private func isSequenceItem(at k: Int) -> Bool { at(k) == "-" && isSeparator(at(k + 1)) }

    private func isDocumentMarker(_ marker: String) -> Bool {
        guard column(index) == 1 else { return false }
        let m = Array(marker.unicodeScalars)
        for (offset, c) in m.enumerated() where at(index + offset) != c { return false }
        return isSeparator(at(index + m.count))
    }

    private mutating func skipSpaces() {
        while at(index) == " " || at(index) == "\t" { index += 1 }
    }

    /// Skips spaces, line breaks and comments between flow tokens.
    private mutating func skipFlowWhitespace() throws(YAMLError) {
        while !atEnd {
            let c = at(index)
            if c == " " || c == "\t" || c == "\n" { index += 1; continue }
            if c == "#" && (index == 0 || isSeparator(at(index - 1))) {
                while !isLineEnd(index) { index += 1 }
                continue
            }
            break
        }
    }

    /// After a value: only spaces and a comment may remain on the line; consumes the line break.
    private mutating func finishLine() throws(YAMLError) {
        skipSpaces()
        if at(index) == "#" { while !isLineEnd(index) { index += 1 } }
        if !isLineEnd(index) { throw error("unexpected '\(at(index))' after the value", at: index) }
        if !atEnd { index += 1 }
    }

    /// Moves to the first character of the next line with content; returns its indentation, or
    /// nil at the end. Tabs are not allowed in indentation (YAML forbids them).
    private mutating func nextContentLine() throws(YAMLError) -> Int? {
        while !atEnd {
            let lineStart = index
            while at(index) == " " { index += 1 }
            if at(index) == "\t" {
                let tabAt = index
                skipSpaces()
                if isLineEnd(index) || at(index) == "#" {
                    while !isLineEnd(index) { index += 1 }
                    if !atEnd { index += 1 }
                    continue
                }
                throw error("tab character in indentation (YAML allows only spaces)", at: tabAt)
            }
            if isLineEnd(index) || at(index) == "#" {
                while !isLineEnd(index) { index += 1 }
                if !atEnd { index += 1 }
                continue
            }
            return index - lineStart
        }
        return nil
    }

    private mutating func recordNull(_ path: String, at k: Int) -> JSONValue {
        valuePositions[path] = position(k)
        return .null
    }

    private func line(_ k: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= k { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    private func column(_ k: Int) -> Int { k - lineStarts[line(k) - 1] + 1 }
    private func position(_ k: Int) -> SourcePosition { SourcePosition(file: file, line: line(k), column: column(k)) }
    private func error(_ message: String, at k: Int) -> YAMLError { YAMLError(message, at: position(k)) }

    private func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c.value {
        case 0x30...0x39: return c.value - 0x30
        case 0x41...0x46: return c.value - 0x41 + 10
        case 0x61...0x66: return c.value - 0x61 + 10
        default: return nil
        }
    }
}

extension String {
    /// Drops leading and trailing spaces and tabs (not other whitespace, as YAML does).
    func trimmingSpaces() -> String {
        var scalars = Substring(self).unicodeScalars[...]
        while let f = scalars.first, f == " " || f == "\t" { scalars.removeFirst() }
        while let l = scalars.last, l == " " || l == "\t" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
