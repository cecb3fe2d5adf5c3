import Storage

/// Python's `str()` and `repr()` of template values: `{{ value }}` must print exactly what
/// jinja2 prints (`True`, `None`, `[1, 'a']`, `1e+16`).
extension JinjaValue {
    /// Python `str(value)`; Undefined renders as the empty string.
    var pythonString: String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return pythonRepr
        }
    }

    /// Python `repr(value)`.
    var pythonRepr: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return pythonFloatRepr(d)
        case .string(let s): return pythonStringRepr(s)
        case .list(let a): return "[" + a.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .tuple(let a):
            if a.count == 1 { return "(" + a[0].pythonRepr + ",)" }
            return "(" + a.map(\.pythonRepr).joined(separator: ", ") + ")"
        case .dict(let d):
            return "{" + d.pairs.map { $0.key.pythonRepr + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        case .namespace(let n):
            return "<Namespace " + JinjaValue.dict(n.attributes).pythonRepr + ">"
        case .macro(let m): return "<Macro '\(m.definition.name)'>"
        case .function(let f): return "<built-in function \(f.name)>"
        }
    }
}

/// Python's `repr(float)`, shared with Storage's JSON serializer.
func pythonFloatRepr(_ d: Double) -> String { PythonFloat.repr(d) }

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double quote.
func pythonStringRepr(_ s: String) -> String {
    let quote: Character = (s.contains("'") && !s.contains("\"")) ? "\"" : "'"
    var out = String(quote)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if Character(scalar) == quote { out += "\\" + String(quote); continue }
            let v = scalar.value
            if scalar == " " || isPrintable(scalar) { out.unicodeScalars.append(scalar) }
            else if v < 0x100 { out += "\\x" + hex(v, width: 2) }
            else if v < 0x10000 { out += "\\u" + hex(v, width: 4) }
            else { out += "\\U" + hex(v, width: 8) }
        }
    }
    out.append(quote)
    return out
}

/// Python's str.isprintable() for one character: not a control, format, surrogate, private-use,
/// unassigned or separator character.
private func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default:
        return true
    }
}

func hex(_ v: UInt32, width: Int) -> String {
    let h = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - h.count)) + h
}
