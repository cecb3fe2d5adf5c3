/// Serializes `JSONValue` exactly as Python's `json.dumps` does with `ensure_ascii=False` and
/// `sort_keys=False`: the chat templates' `tojson` and the files transformers writes must match
/// byte for byte (key order, `1` vs `1.0`, float repr, escapes, separators and indent).
public struct JSONSerializer: Sendable {
    /// nil: one line. n: newline + n spaces per level, as Python's `indent=n`.
    public var indent: Int?
    public var itemSeparator: String
    public var keySeparator: String
    public var sortKeys: Bool
    /// Python's default `ensure_ascii=True` escapes every non-ASCII character as \uXXXX.
    public var ensureASCII: Bool

    /// Python's defaults: `", "` and `": "` without indent; `","` and `": "` with an indent.
    public init(indent: Int? = nil, separators: (item: String, key: String)? = nil, sortKeys: Bool = false, ensureASCII: Bool = false) {
        self.indent = indent
        self.itemSeparator = separators?.item ?? (indent == nil ? ", " : ",")
        self.keySeparator = separators?.key ?? ": "
        self.sortKeys = sortKeys
        self.ensureASCII = ensureASCII
    }

    public func serialize(_ value: JSONValue) -> String {
        var out = ""
        write(value, level: 0, into: &out)
        return out
    }

    private func write(_ value: JSONValue, level: Int, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += PythonFloat.jsonRepr(d)
        case .string(let s): JSONSerializer.writeString(s, ensureASCII: ensureASCII, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1, &out)
                write(item, level: level + 1, into: &out)
            }
            newline(level, &out)
            out += "]"
        case .object(let object):
            if object.isEmpty { out += "{}"; return }
            out += "{"
            var pairs = object.pairs
            if sortKeys { pairs.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } }
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1, &out)
                JSONSerializer.writeString(pair.key, ensureASCII: ensureASCII, into: &out)
                out += keySeparator
                write(pair.value, level: level + 1, into: &out)
            }
            newline(level, &out)
            out += "}"
        }
    }

    private func newline(_ level: Int, _ out: inout String) {
        guard let indent else { return }
        out += "\n"
        out += String(repeating: " ", count: indent * level)
    }

    /// A JSON string literal with Python's escaping.
    public static func writeString(_ s: String, ensureASCII: Bool = false, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += "\\u" + hex4(0xD800 + (v >> 10)) + "\\u" + hex4(0xDC00 + (v & 0x3FF))
                    } else {
                        out += "\\u" + hex4(scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    public static func quoted(_ s: String, ensureASCII: Bool = false) -> String {
        var out = ""
        writeString(s, ensureASCII: ensureASCII, into: &out)
        return out
    }

    private static func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}

/// Python's `repr(float)` (also `str(float)` in Python 3): shortest round-trip digits, fixed
/// notation with at least one decimal digit for 1e-4 <= |x| < 1e16, else `d.ddde+XX`.
public enum PythonFloat {
    public static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let (digits, pointPosition) = shortestDigits(abs(value))
        let sign = value < 0 ? "-" : ""
        let n = digits.count
        if pointPosition <= -4 || pointPosition > 16 {
            var mantissa = String(digits.first!)
            if n > 1 { mantissa += "." + digits.dropFirst() }
            let exponent = pointPosition - 1
            let expDigits = String(abs(exponent))
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (expDigits.count < 2 ? "0" : "") + expDigits
        }
        if pointPosition <= 0 { return sign + "0." + String(repeating: "0", count: -pointPosition) + digits }
        if pointPosition >= n { return sign + digits + String(repeating: "0", count: pointPosition - n) + ".0" }
        let cut = digits.index(digits.startIndex, offsetBy: pointPosition)
        return sign + digits[..<cut] + "." + digits[cut...]
    }

    /// json.dumps spelling: NaN / Infinity / -Infinity for non-finite values.
    public static func jsonRepr(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return repr(value)
    }

    /// Shortest round-trip decimal digits (no leading/trailing zeros) and the decimal point
    /// position: value = 0.DIGITS x 10^pointPosition. Swift's `description` already produces the
    /// shortest round-trip digits; only its layout differs from Python's.
    static func shortestDigits(_ value: Double) -> (String, Int) {
        let text = value.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...])!
        }
        var digits = ""
        var pointIndex = mantissa.count
        for (i, ch) in mantissa.enumerated() {
            if ch == "." { pointIndex = i } else { digits.append(ch) }
        }
        var point = pointIndex + exponent
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { return ("0", 1) }
        return (digits, point)
    }
}
