/// A strict RFC 8259 JSON parser over UTF-8 bytes.
///
/// Hand-written because config files, safetensors headers and training data all need exact
/// semantics Foundation does not give: object key order kept, integers distinct from floats,
/// duplicate keys resolved as Python does (last wins), invalid UTF-8 and lone surrogates rejected,
/// a nesting limit, and every error reported as source:line:column.
public struct JSONParser {
    /// Nesting deeper than this is rejected instead of risking stack exhaustion.
    public static let defaultMaximumDepth = 512

    public static func parse(_ text: String, source: String = "<string>", maximumDepth: Int = defaultMaximumDepth) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { try parse(UnsafeRawBufferPointer($0), source: source, maximumDepth: maximumDepth) }
    }

    public static func parse(_ bytes: [UInt8], source: String = "<bytes>", maximumDepth: Int = defaultMaximumDepth) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0, source: source, maximumDepth: maximumDepth) }
    }

    /// Parses exactly one JSON value surrounded by optional whitespace.
    public static func parse(_ bytes: UnsafeRawBufferPointer, source: String = "<bytes>", maximumDepth: Int = defaultMaximumDepth) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, source: source, maximumDepth: maximumDepth)
        parser.skipWhitespace()
        if parser.position >= bytes.count { throw parser.error("empty input, expected a JSON value") }
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position < bytes.count { throw parser.error("unexpected '\(parser.describeCurrent())' after the JSON value") }
        return value
    }

    private let bytes: UnsafeRawBufferPointer
    private let source: String
    private let maximumDepth: Int
    private var position = 0

    private init(bytes: UnsafeRawBufferPointer, source: String, maximumDepth: Int) {
        self.bytes = bytes; self.source = source; self.maximumDepth = maximumDepth
    }

    // MARK: values

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard position < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected '\(describeCurrent())', expected a value")
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        if depth > maximumDepth { throw error("nesting deeper than \(maximumDepth)") }
        position += 1  // {
        var object = JSONObject()
        skipWhitespace()
        if peek == UInt8(ascii: "}") { position += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else {
                throw error(position >= bytes.count ? "unexpected end of input inside an object" : "expected a string key, got '\(describeCurrent())'")
            }
            let key = try parseString()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw error("expected ':' after key \"\(key)\"") }
            position += 1
            skipWhitespace()
            object[key] = try parseValue(depth: depth)
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(object)
            case nil: throw error("unexpected end of input inside an object")
            default: throw error("expected ',' or '}' in object, got '\(describeCurrent())'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        if depth > maximumDepth { throw error("nesting deeper than \(maximumDepth)") }
        position += 1  // [
        var array: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") { position += 1; return .array(array) }
        while true {
            skipWhitespace()
            array.append(try parseValue(depth: depth))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(array)
            case nil: throw error("unexpected end of input inside an array")
            default: throw error("expected ',' or ']' in array, got '\(describeCurrent())'")
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let start = position
        let count = literal.utf8CodeUnitCount
        let ok = start + count <= bytes.count && (0..<count).allSatisfy { bytes[start + $0] == literal.utf8Start[$0] }
        if !ok { throw error("invalid literal, expected '\(literal)'") }
        position += count
    }

    // MARK: numbers

    private mutating func parseNumber() throws -> JSONValue {
        let start = position
        var isInteger = true
        if peek == UInt8(ascii: "-") { position += 1 }
        guard let first = peek, isDigit(first) else { throw error("expected a digit in number") }
        if first == UInt8(ascii: "0") {
            position += 1
            if let next = peek, isDigit(next) { throw error("leading zero in number") }
        } else {
            while let c = peek, isDigit(c) { position += 1 }
        }
        if peek == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard let c = peek, isDigit(c) else { throw error("expected a digit after the decimal point") }
            while let c = peek, isDigit(c) { position += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard let c = peek, isDigit(c) else { throw error("expected a digit in the exponent") }
            while let c = peek, isDigit(c) { position += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger, let value = Int(text) { return .int(value) }
        guard let value = Double(text) else {
            position = start
            throw error("number '\(text)' out of range")
        }
        // Python's json turns integers too large for Int into exact big ints; kimi-sft keeps a Double.
        return .double(value)
    }

    @inline(__always) private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    // MARK: strings

    private mutating func parseString() throws -> String {
        position += 1  // opening quote
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                guard let s = String(validating: slice, as: UTF8.self) else {
                    position = start + firstInvalidUTF8Offset(slice)
                    throw error("invalid UTF-8 in string")
                }
                position += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("unescaped control character U+\(hex4(UInt32(c))) in string") }
            position += 1
        }
        if position >= bytes.count { throw error("unterminated string") }
        // Slow path with escapes: collect UTF-8 bytes.
        var utf8 = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let c = bytes[position]
            if c == UInt8(ascii: "\"") { position += 1; break }
            if c < 0x20 { throw error("unescaped control character U+\(hex4(UInt32(c))) in string") }
            if c != UInt8(ascii: "\\") {
                // Copy the run up to the next quote, backslash or control byte in one append.
                let runStart = position
                position += 1
                while position < bytes.count {
                    let d = bytes[position]
                    if d == UInt8(ascii: "\"") || d == UInt8(ascii: "\\") || d < 0x20 { break }
                    position += 1
                }
                utf8.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
                continue
            }
            position += 1
            guard let e = peek else { throw error("unterminated escape") }
            position += 1
            switch e {
            case UInt8(ascii: "\""): utf8.append(0x22)
            case UInt8(ascii: "\\"): utf8.append(0x5C)
            case UInt8(ascii: "/"): utf8.append(0x2F)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                        throw error("lone high surrogate \\u\(hex4(scalar)) not followed by a low surrogate")
                    }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("high surrogate \\u\(hex4(scalar)) followed by \\u\(hex4(low)), not a low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("lone low surrogate \\u\(hex4(scalar))")
                }
                appendUTF8(scalar, to: &utf8)
            default:
                position -= 2  // point at the backslash
                throw error("invalid escape '\\\(String(UnicodeScalar(e)))'")
            }
        }
        guard let s = String(validating: utf8, as: UTF8.self) else { throw error("invalid UTF-8 in string") }
        return s
    }

    /// Appends the UTF-8 encoding of a scalar value (surrogates already excluded).
    @inline(__always) private func appendUTF8(_ v: UInt32, to utf8: inout [UInt8]) {
        switch v {
        case ..<0x80: utf8.append(UInt8(v))
        case ..<0x800: utf8.append(UInt8(0xC0 | v >> 6)); utf8.append(UInt8(0x80 | v & 0x3F))
        case ..<0x10000:
            utf8.append(UInt8(0xE0 | v >> 12)); utf8.append(UInt8(0x80 | v >> 6 & 0x3F)); utf8.append(UInt8(0x80 | v & 0x3F))
        default:
            utf8.append(UInt8(0xF0 | v >> 18)); utf8.append(UInt8(0x80 | v >> 12 & 0x3F))
            utf8.append(UInt8(0x80 | v >> 6 & 0x3F)); utf8.append(UInt8(0x80 | v & 0x3F))
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let c = peek else { throw error("unterminated \\u escape") }
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit '\(describeCurrent())' in \\u escape")
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }

    // MARK: helpers

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private func describeCurrent() -> String {
        guard position < bytes.count else { return "end of input" }
        let c = bytes[position]
        if c >= 0x20 && c < 0x7F { return String(UnicodeScalar(c)) }
        return "byte 0x" + String(c, radix: 16, uppercase: true)
    }

    private func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    private func firstInvalidUTF8Offset(_ slice: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        var iterator = slice.makeIterator()
        var decoder = UTF8()
        var consumed = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                consumed += UTF8.width(s)
                offset = consumed
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }

    /// The error at the current position, with line and column computed only now (errors are rare).
    private func error(_ message: String) -> JSONSyntaxError {
        var line = 1, lineStart = 0
        let end = min(position, bytes.count)
        for i in 0..<end where bytes[i] == 0x0A { line += 1; lineStart = i + 1 }
        // Column in scalars: count non-continuation bytes.
        var column = 1
        if lineStart < end { for i in lineStart..<end where bytes[i] & 0xC0 != 0x80 { column += 1 } }
        return JSONSyntaxError(source: source, line: line, column: column, message: message)
    }
}
