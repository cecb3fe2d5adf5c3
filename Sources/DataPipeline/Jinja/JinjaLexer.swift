/// One lexical token with the template position it starts at.
struct JinjaToken {
    enum Kind: Equatable {
        case text(String)
        case blockBegin, blockEnd, variableBegin, variableEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case end
    }
    let kind: Kind
    let line: Int
    let column: Int
}

/// Splits a template into text and tag tokens, applying HF's whitespace rules while lexing, as
/// jinja2 does: `-` trims all whitespace on that side, `trim_blocks` drops the first newline after
/// a block or comment tag, `lstrip_blocks` drops spaces and tabs before a block or comment tag
/// that starts a line, `+` disables either. Newlines are normalised to `\n` and one trailing
/// newline is dropped (jinja2's `keep_trailing_newline=False`).
struct JinjaLexer {
    private let s: [Unicode.Scalar]
    private var i = 0
    private var line = 1
    private var column = 1
    private var tokens: [JinjaToken] = []
    let trimBlocks: Bool
    let lstripBlocks: Bool

    init(source: String, trimBlocks: Bool = true, lstripBlocks: Bool = true) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(source.unicodeScalars.count)
        var it = source.unicodeScalars.makeIterator()
        var pendingCR = false
        while let c = it.next() {
            if pendingCR { pendingCR = false; if c == "\n" { continue } }
            if c == "\r" { scalars.append("\n"); pendingCR = true } else { scalars.append(c) }
        }
        if scalars.last == "\n" { scalars.removeLast() }
        self.s = scalars
        self.trimBlocks = trimBlocks
        self.lstripBlocks = lstripBlocks
    }

    mutating func tokenize() throws -> [JinjaToken] {
        while i < s.count {
            let textStart = i
            let (textLine, textColumn) = (line, column)
            var j = i
            while j < s.count && !(s[j] == "{" && j + 1 < s.count && (s[j + 1] == "{" || s[j + 1] == "%" || s[j + 1] == "#")) { j += 1 }
            var text = Array(s[i..<j])
            if j < s.count {
                let kind = s[j + 1]
                let modifier: Unicode.Scalar? = j + 2 < s.count ? s[j + 2] : nil
                if modifier == "-" {
                    while let last = text.last, isWhitespace(last) { text.removeLast() }
                } else if modifier != "+" && kind != "{" && lstripBlocks {
                    let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                    let startsLine = lineStart > 0 || textStart == 0 || s[textStart - 1] == "\n"
                    if startsLine && lineStart < text.count && text[lineStart...].allSatisfy(isWhitespace) {
                        text.removeSubrange(lineStart...)
                    }
                }
            }
            if !text.isEmpty {
                var str = ""; str.unicodeScalars.append(contentsOf: text)
                tokens.append(JinjaToken(kind: .text(str), line: textLine, column: textColumn))
            }
            advance(to: j)
            if i >= s.count { break }
            try lexTag()
        }
        tokens.append(JinjaToken(kind: .end, line: line, column: column))
        return tokens
    }

    private func isWhitespace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}" }

    private mutating func advance(to target: Int) {
        while i < target {
            if s[i] == "\n" { line += 1; column = 1 } else { column += 1 }
            i += 1
        }
    }

    private func syntax(_ message: String, _ l: Int, _ c: Int) -> JinjaError { .syntax(message: message, line: l, column: c) }

    /// After a tag end: `-` eats all following whitespace; otherwise trim_blocks eats one newline.
    private mutating func afterTagEnd(stripModifier: Unicode.Scalar?, isBlock: Bool) {
        if stripModifier == "-" {
            var k = i; while k < s.count && isWhitespace(s[k]) { k += 1 }; advance(to: k)
        } else if isBlock && trimBlocks && stripModifier != "+" && i < s.count && s[i] == "\n" {
            advance(to: i + 1)
        }
    }

    private mutating func lexTag() throws {
        let (tagLine, tagColumn) = (line, column)
        let kind = s[i + 1]
        var start = i + 2
        if start < s.count && (s[start] == "-" || s[start] == "+") { start += 1 }
        advance(to: start)
        if kind == "#" {
            var k = i
            while k + 1 < s.count && !(s[k] == "#" && s[k + 1] == "}") { k += 1 }
            guard k + 1 < s.count else { throw syntax("unclosed comment: '{#' has no matching '#}'", tagLine, tagColumn) }
            let modifier: Unicode.Scalar? = k > i && (s[k - 1] == "-" || s[k - 1] == "+") ? s[k - 1] : nil
            advance(to: k + 2)
            afterTagEnd(stripModifier: modifier, isBlock: true)
            return
        }
        let isBlock = kind == "%"
        let firstTokenIndex = tokens.count
        tokens.append(JinjaToken(kind: isBlock ? .blockBegin : .variableBegin, line: tagLine, column: tagColumn))
        let closer: Unicode.Scalar = isBlock ? "%" : "}"
        var nesting = 0
        while true {
            while i < s.count && isWhitespace(s[i]) { advance(to: i + 1) }
            guard i < s.count else {
                throw syntax("unclosed tag: '\(isBlock ? "{%" : "{{")' has no matching '\(isBlock ? "%}" : "}}")'", tagLine, tagColumn)
            }
            let c = s[i]
            // Tag end, possibly with a whitespace modifier.
            let hasModifier = (c == "-" || c == "+") && i + 2 < s.count && s[i + 1] == closer && s[i + 2] == "}"
            if (hasModifier || (c == closer && i + 1 < s.count && s[i + 1] == "}")) && (nesting == 0 || isBlock) {
                let modifier: Unicode.Scalar? = hasModifier ? c : nil
                // jinja2's raw-begin rule accepts `%}` and `-%}` (not `+%}`) and never applies trim_blocks.
                let opensRaw = isBlock && modifier != "+" && tokens.count == firstTokenIndex + 2
                    && tokens[firstTokenIndex + 1].kind == .name("raw")
                tokens.append(JinjaToken(kind: isBlock ? .blockEnd : .variableEnd, line: line, column: column))
                advance(to: i + (hasModifier ? 3 : 2))
                if opensRaw {
                    if modifier == "-" { afterTagEnd(stripModifier: modifier, isBlock: true) }
                    try lexRawBody(firstTokenIndex: firstTokenIndex, tagLine: tagLine, tagColumn: tagColumn)
                } else {
                    afterTagEnd(stripModifier: modifier, isBlock: isBlock)
                }
                return
            }
            let (l, col) = (line, column)
            if c == "'" || c == "\"" {
                tokens.append(JinjaToken(kind: .string(try lexString(quote: c)), line: l, column: col))
            } else if isDigit(c) {
                tokens.append(JinjaToken(kind: lexNumber(), line: l, column: col))
            } else if isNameStart(c) {
                var k = i; while k < s.count && (isNameStart(s[k]) || isDigit(s[k])) { k += 1 }
                var name = ""; name.unicodeScalars.append(contentsOf: s[i..<k])
                tokens.append(JinjaToken(kind: .name(name), line: l, column: col))
                advance(to: k)
            } else {
                let three = ["**", "//", "==", "!=", "<=", ">="]
                var op = String(c)
                if i + 1 < s.count, three.contains(String(c) + String(s[i + 1])) { op = String(c) + String(s[i + 1]) }
                guard "+-*/%~<>=()[]{},.:|!".unicodeScalars.contains(c) || op.count == 2, op != "!" else {
                    throw syntax("unexpected character '\(c)'", l, col)
                }
                if op == "(" || op == "[" || op == "{" { nesting += 1 }
                if op == ")" || op == "]" || op == "}" { nesting -= 1 }
                tokens.append(JinjaToken(kind: .op(op), line: l, column: col))
                advance(to: i + op.unicodeScalars.count)
            }
        }
    }

    /// After `{% raw %}`: everything up to `{% endraw %}` is one text token. The endraw tag follows
    /// the usual rules (`-`, `+`, lstrip_blocks before it, trim_blocks after it).
    private mutating func lexRawBody(firstTokenIndex: Int, tagLine: Int, tagColumn: Int) throws {
        tokens.removeLast(3)
        let contentStart = i
        let (l, c) = (line, column)
        var k = i
        while k < s.count {
            if s[k] == "{" && k + 1 < s.count && s[k + 1] == "%" {
                var m = k + 2
                let strip = m < s.count && s[m] == "-"
                if m < s.count && (s[m] == "-" || s[m] == "+") { m += 1 }
                while m < s.count && isWhitespace(s[m]) { m += 1 }
                let word: [Unicode.Scalar] = Array("endraw".unicodeScalars)
                if m + word.count <= s.count && Array(s[m..<(m + word.count)]) == word {
                    var e = m + word.count
                    while e < s.count && isWhitespace(s[e]) { e += 1 }
                    var modifier: Unicode.Scalar?
                    if e < s.count && (s[e] == "-" || s[e] == "+") { modifier = s[e]; e += 1 }
                    if e + 1 < s.count && s[e] == "%" && s[e + 1] == "}" {
                        var body = Array(s[i..<k])
                        let leftModifier: Unicode.Scalar? = s[k + 2] == "-" || s[k + 2] == "+" ? s[k + 2] : nil
                        if strip { while let last = body.last, isWhitespace(last) { body.removeLast() } }
                        else if leftModifier != "+" && lstripBlocks {
                            let lineStart = (body.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                            let startsLine = lineStart > 0 || contentStart == 0 || s[contentStart - 1] == "\n"
                            if startsLine && lineStart < body.count && body[lineStart...].allSatisfy(isWhitespace) {
                                body.removeSubrange(lineStart...)
                            }
                        }
                        var text = ""; text.unicodeScalars.append(contentsOf: body)
                        if !text.isEmpty { tokens.append(JinjaToken(kind: .text(text), line: l, column: c)) }
                        advance(to: e + 2)
                        afterTagEnd(stripModifier: modifier, isBlock: true)
                        return
                    }
                }
            }
            k += 1
        }
        throw syntax("unclosed raw block: expected '{% endraw %}'", tagLine, tagColumn)
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    private func isNameStart(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }

    private mutating func lexNumber() -> JinjaToken.Kind {
        var k = i
        var text = ""
        func digits() { while k < s.count && (isDigit(s[k]) || s[k] == "_") { if s[k] != "_" { text.unicodeScalars.append(s[k]) }; k += 1 } }
        digits()
        var isFloat = false
        if k + 1 < s.count && s[k] == "." && isDigit(s[k + 1]) { isFloat = true; text += "."; k += 1; digits() }
        if k < s.count && (s[k] == "e" || s[k] == "E") {
            var m = k + 1
            if m < s.count && (s[m] == "+" || s[m] == "-") { m += 1 }
            if m < s.count && isDigit(s[m]) {
                isFloat = true; text += "e"; if s[k + 1] == "-" { text += "-" }
                k = m; digits()
            }
        }
        advance(to: k)
        if isFloat { return .float(Double(text) ?? 0) }
        return Int(text).map { .integer($0) } ?? .float(Double(text) ?? .infinity)
    }

    /// A quoted string with Python's backslash escapes.
    private mutating func lexString(quote: Unicode.Scalar) throws -> String {
        let (l, col) = (line, column)
        var k = i + 1
        var out = ""
        while true {
            guard k < s.count else { throw syntax("unterminated string literal", l, col) }
            let c = s[k]
            if c == quote { k += 1; break }
            if c == "\\" && k + 1 < s.count {
                let e = s[k + 1]; k += 2
                switch e {
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "0": out += "\0"
                case "\\": out += "\\"
                case "'": out += "'"
                case "\"": out += "\""
                case "\n": break
                case "x", "u", "U":
                    let width = e == "x" ? 2 : (e == "u" ? 4 : 8)
                    guard k + width <= s.count else { throw syntax("truncated \\\(e) escape", l, col) }
                    var h = ""; h.unicodeScalars.append(contentsOf: s[k..<(k + width)])
                    guard let v = UInt32(h, radix: 16), let u = Unicode.Scalar(v) else { throw syntax("bad \\\(e) escape", l, col) }
                    out.unicodeScalars.append(u); k += width
                default: out += "\\"; out.unicodeScalars.append(e)
                }
                continue
            }
            out.unicodeScalars.append(c); k += 1
        }
        advance(to: k)
        return out
    }
}
