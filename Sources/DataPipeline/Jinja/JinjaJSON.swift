import Storage

/// HF's `tojson` filter: Python `json.dumps(value, ensure_ascii=False, indent=..., separators=...,
/// sort_keys=...)`. Written over template values (tuples, float reprs, dict keys that are not
/// strings) because the output must match Python byte for byte.
struct PythonJSONDumper {
    var indent: String?          // nil: one line
    var itemSeparator: String
    var keySeparator: String
    var sortKeys: Bool
    var ensureASCII = false

    /// Python's defaults: `", "`/`": "` on one line, `","`/`": "` when indenting.
    init(indent: String?, separators: (String, String)?, sortKeys: Bool, ensureASCII: Bool = false) {
        self.ensureASCII = ensureASCII
        self.indent = indent
        self.itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        self.keySeparator = separators?.1 ?? ": "
        self.sortKeys = sortKeys
    }

    func dumps(_ value: JinjaValue) throws -> String {
        var out = ""
        try write(value, level: 0, into: &out)
        return out
    }

    private func write(_ value: JinjaValue, level: Int, into out: inout String) throws {
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            out += PythonFloat.jsonRepr(d)
        case .string(let s): out += JSONSerializer.quoted(s, ensureASCII: ensureASCII)
        case .list(let a), .tuple(let a):
            try writeContainer(open: "[", close: "]", count: a.count, level: level, into: &out) { i, o in
                try write(a[i], level: level + 1, into: &o)
            }
        case .dict(let d):
            var pairs = try d.pairs.map { (try jsonKey($0.key), $0.value) }
            if sortKeys { pairs.sort { Array($0.0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.0.unicodeScalars.map(\.value)) } }
            try writeContainer(open: "{", close: "}", count: pairs.count, level: level, into: &out) { i, o in
                o += JSONSerializer.quoted(pairs[i].0, ensureASCII: ensureASCII) + keySeparator
                try write(pairs[i].1, level: level + 1, into: &o)
            }
        case .namespace(let n): try write(.dict(n.attributes), level: level, into: &out)
        case .undefined, .macro, .function:
            throw JinjaFailure("Object of type \(value.typeName) is not JSON serializable")
        }
    }

    private func writeContainer(open: String, close: String, count: Int, level: Int, into out: inout String,
                                element: (Int, inout String) throws -> Void) throws {
        out += open
        if count == 0 { out += close; return }
        for i in 0..<count {
            if i > 0 { out += itemSeparator }
            if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
            try element(i, &out)
        }
        if let indent { out += "\n" + String(repeating: indent, count: level) }
        out += close
    }

    /// json.dumps turns scalar keys into strings (`True` -> "true", `1.5` -> "1.5").
    private func jsonKey(_ key: JinjaValue) throws -> String {
        switch key {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return pythonFloatRepr(d)
        case .bool(let b): return b ? "true" : "false"
        case .none: return "null"
        default: throw JinjaFailure("keys must be str, int, float, bool or None, not \(key.typeName)")
        }
    }
}
