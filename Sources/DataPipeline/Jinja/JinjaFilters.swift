import Foundation

/// jinja2's built-in filters that chat templates use, with HF's `tojson` override.
extension JinjaInterpreter {
    func applyFilter(_ name: String, _ value: JinjaValue, _ args: JinjaArguments, at e: JinjaExpression) throws -> JinjaValue {
        do {
            return try filter(name, value, args, at: e)
        } catch let f as JinjaFailure {
            throw runtime(f.message, e)
        }
    }

    private func filter(_ name: String, _ value: JinjaValue, _ args: JinjaArguments, at e: JinjaExpression) throws -> JinjaValue {
        // These convert with int()/float()/abs()/round(), which Undefined refuses.
        if case .undefined(let hint) = value, ["int", "float", "abs", "round"].contains(name) { throw JinjaFailure(hint) }
        switch name {
        case "length", "count":
            switch value {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .list(let a), .tuple(let a): return .int(a.count)
            case .dict(let d): return .int(d.count)
            case .undefined: return .int(0)
            default: throw JinjaFailure("object of type '\(value.typeName)' has no len()")
            }
        case "tojson":
            var indent: String?
            switch args.value(0, "indent") {
            case .int(let n)?: indent = String(repeating: " ", count: max(0, n))
            case .string(let s)?: indent = s
            default: indent = nil
            }
            var separators: (String, String)?
            if let sep = args.keyword("separators"), case .tuple(let parts) = sep, parts.count == 2 {
                separators = (parts[0].pythonString, parts[1].pythonString)
            } else if let sep = args.keyword("separators"), case .list(let parts) = sep, parts.count == 2 {
                separators = (parts[0].pythonString, parts[1].pythonString)
            }
            let sortKeys = args.keyword("sort_keys")?.isTruthy ?? false
            let ensureASCII = args.keyword("ensure_ascii")?.isTruthy ?? false
            return .string(try PythonJSONDumper(indent: indent, separators: separators, sortKeys: sortKeys, ensureASCII: ensureASCII).dumps(value))
        case "string": return .string(value.pythonString)
        case "safe": return value
        case "trim":
            let chars = args.value(0, "chars")
            return .string(try strip(try stringArgument(value, name), chars, leading: true, trailing: true))
        case "upper": return .string(try stringArgument(value, name).uppercased())
        case "lower": return .string(try stringArgument(value, name).lowercased())
        case "capitalize":
            let s = try stringArgument(value, name)
            return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case "title": return .string(titleCase(try stringArgument(value, name)))
        case "replace":
            let s = try stringArgument(value, name)
            let old = try args.required(0, "old", of: name).pythonString
            let new = try args.required(1, "new", of: name).pythonString
            return .string(replace(s, old, new, count: args.value(2, "count")?.integer))
        case "items":
            guard case .dict(let d) = value else {
                if value.isUndefined { return .list([]) }
                throw JinjaFailure("can only get item pairs from a mapping")
            }
            return .list(d.pairs.map { .tuple([$0.key, $0.value]) })
        case "list": return .list(try iterate(value))
        case "first": return try iterate(value).first ?? .undefined(hint: "No first item, sequence was empty.")
        case "last":
            guard case .list(let a) = value else { return try iterate(value).last ?? .undefined(hint: "No last item, sequence was empty.") }
            return a.last ?? .undefined(hint: "No last item, sequence was empty.")
        case "reverse":
            if case .string(let s) = value { return .string(String(s.unicodeScalars.reversed().map(Character.init))) }
            return .list(try iterate(value).reversed())
        case "join":
            let separator = args.value(0, "d")?.pythonString ?? ""
            var items = try iterate(value)
            if let attribute = args.value(1, "attribute") { items = try items.map { try lookupPath($0, attribute) } }
            return .string(items.map(\.pythonString).joined(separator: separator))
        case "default", "d":
            let fallback = args.value(0, "default_value") ?? .string("")
            let boolean = args.value(1, "boolean")?.isTruthy ?? false
            if value.isUndefined || (boolean && !value.isTruthy) { return fallback }
            return value
        case "int":
            let fallback = args.value(0, "default") ?? .int(0)
            switch value {
            case .int: return value
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return d.isFinite ? .int(try truncatedInt(d)) : fallback
            case .string(let s):
                let t = s.trimmingCharacters(in: .whitespaces)
                if let i = Int(t.replacingOccurrences(of: "_", with: "")) { return .int(i) }
                if let d = Double(t), d.isFinite { return .int(try truncatedInt(d)) }
                return fallback
            default: return fallback
            }
        case "float":
            let fallback = args.value(0, "default") ?? .double(0)
            switch value {
            case .int(let i): return .double(Double(i))
            case .bool(let b): return .double(b ? 1 : 0)
            case .double: return value
            case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces)).map { .double($0) } ?? fallback
            default: return fallback
            }
        case "abs":
            switch value {
            case .int(let i): return .int(try negatedIfNegative(i))
            case .double(let d): return .double(abs(d))
            case .bool(let b): return .int(b ? 1 : 0)
            default: throw JinjaFailure("bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            let precision = args.value(0, "precision")?.integer ?? 0
            let method = args.value(1, "method")?.pythonString ?? "common"
            guard let d = value.integer.map(Double.init) ?? { if case .double(let x) = value { return x }; return nil }() else {
                throw JinjaFailure("round filter needs a number, got \(value.typeName)")
            }
            let scale = pow(10.0, Double(precision))
            // "common" is Python's round(): halves go to the even neighbour.
            let rule: FloatingPointRoundingRule = method == "ceil" ? .up : (method == "floor" ? .down : .toNearestOrEven)
            // round() of an int (or bool) stays an int in Python.
            if let i = value.integer, method == "common", precision >= 0 { return .int(i) }
            return .double((d * scale).rounded(rule) / scale)
        case "sum":
            var total: JinjaValue = args.value(1, "start") ?? .int(0)
            for item in try iterate(value) {
                let v = try args.value(0, "attribute").map { try lookupPath(item, $0) } ?? item
                total = try binary("+", total, v)
            }
            return total
        case "min", "max":
            let caseSensitive = args.value(0, "case_sensitive")?.isTruthy ?? false
            let attribute = args.value(1, "attribute")
            let items = try iterate(value)
            guard var best = items.first else { return .undefined(hint: "No \(name) item, sequence was empty.") }
            var bestKey = try sortKey(best, attribute, caseSensitive)
            for item in items.dropFirst() {
                let key = try sortKey(item, attribute, caseSensitive)
                guard let less = key.pythonLess(bestKey) else { throw JinjaFailure("cannot compare \(key.typeName) and \(bestKey.typeName)") }
                if (name == "min" && less) || (name == "max" && !less && !key.pythonEquals(bestKey)) { best = item; bestKey = key }
            }
            return best
        case "unique":
            let caseSensitive = args.value(0, "case_sensitive")?.isTruthy ?? false
            let attribute = args.value(1, "attribute")
            var seen: [JinjaValue] = [], result: [JinjaValue] = []
            for item in try iterate(value) {
                let key = try sortKey(item, attribute, caseSensitive)
                guard JinjaDictionary.isHashable(key) else { throw JinjaFailure("unhashable type: '\(key.typeName)'") }
                if !seen.contains(where: { $0.pythonEquals(key) }) { seen.append(key); result.append(item) }
            }
            return .list(result)
        case "sort":
            let reverse = args.value(0, "reverse")?.isTruthy ?? false
            let caseSensitive = args.value(1, "case_sensitive")?.isTruthy ?? false
            let attribute = args.value(2, "attribute")
            let keyed = try iterate(value).map { item in (item, try sortKey(item, attribute, caseSensitive)) }
            var failure: JinjaFailure?
            let sorted = keyed.sorted { a, b in
                guard let less = a.1.pythonLess(b.1) else { failure = JinjaFailure("cannot sort \(a.1.typeName) and \(b.1.typeName)"); return false }
                return reverse ? (b.1.pythonLess(a.1) ?? false) : less
            }
            if let failure { throw failure }
            return .list(sorted.map(\.0))
        case "dictsort":
            guard case .dict(let d) = value else { throw JinjaFailure("dictsort needs a dict") }
            let caseSensitive = args.value(0, "case_sensitive")?.isTruthy ?? false
            let pairs = d.pairs.sorted { a, b in
                let x = (try? sortKey(a.key, nil, caseSensitive)) ?? a.key, y = (try? sortKey(b.key, nil, caseSensitive)) ?? b.key
                return x.pythonLess(y) ?? false
            }
            return .list(pairs.map { .tuple([$0.key, $0.value]) })
        case "map":
            let items = try iterate(value)
            if let attribute = args.keyword("attribute") {
                let fallback = args.keyword("default")
                return .list(try items.map { item in
                    let v = try lookupPath(item, attribute)
                    if v.isUndefined, let fallback { return fallback }
                    return v
                })
            }
            guard let filterName = args.positional.first?.stringValue else { throw JinjaFailure("map requires a filter name or attribute=") }
            let rest = JinjaArguments(positional: Array(args.positional.dropFirst()), keyword: args.keyword)
            return .list(try items.map { try filter(filterName, $0, rest, at: e) })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var positional = args.positional
            let attribute = byAttribute ? (positional.isEmpty ? nil : positional.removeFirst()) : nil
            if byAttribute && attribute == nil { throw JinjaFailure("\(name) requires an attribute name") }
            let testName = positional.isEmpty ? nil : positional.removeFirst().pythonString
            let testArgs = JinjaArguments(positional: positional, keyword: [])
            return .list(try iterate(value).filter { item in
                let subject = try attribute.map { try lookupPath(item, $0) } ?? item
                let passes = try testName.map { try test($0, subject, testArgs) } ?? subject.isTruthy
                return passes == keep
            })
        case "indent":
            let width = args.value(0, "width") ?? .int(4)
            let pad = width.integer.map { String(repeating: " ", count: $0) } ?? width.pythonString
            let first = args.value(1, "first")?.isTruthy ?? false
            let blank = args.value(2, "blank")?.isTruthy ?? false
            var lines = try stringArgument(value, name).components(separatedBy: "\n")
            for i in lines.indices where (i > 0 || first) && (blank || !lines[i].allSatisfy(\.isWhitespace)) {
                lines[i] = pad + lines[i]
            }
            return .string(lines.joined(separator: "\n"))
        case "wordcount":
            return .int(try stringArgument(value, name).split(whereSeparator: { $0.isWhitespace }).count)
        default:
            throw JinjaFailure("no filter named '\(name)'")
        }
    }

    /// Filters on strings accept any value through Python `str()`, except Undefined (which
    /// jinja2 turns into "" too).
    private func stringArgument(_ value: JinjaValue, _ filter: String) throws -> String { value.pythonString }

    /// jinja2's sort/unique/min/max key: the attribute if given, lowercased strings unless
    /// case_sensitive.
    private func sortKey(_ item: JinjaValue, _ attribute: JinjaValue?, _ caseSensitive: Bool) throws -> JinjaValue {
        let key = try attribute.map { try lookupPath(item, $0) } ?? item
        if !caseSensitive, case .string(let s) = key { return .string(s.lowercased()) }
        return key
    }

    /// `attribute="a.b"` paths of selectattr/map/join; integer parts index lists.
    func lookupPath(_ value: JinjaValue, _ path: JinjaValue) throws -> JinjaValue {
        if let i = path.integer { return try item(of: value, .int(i)) }
        var current = value
        for part in path.pythonString.split(separator: ".", omittingEmptySubsequences: false) {
            if current.isUndefined { return current }
            if let i = Int(part) { current = try item(of: current, .int(i)) } else { current = try item(of: current, .string(String(part))) }
        }
        return current
    }
}

extension JinjaValue {
    var stringValue: String? { if case .string(let s) = self { return s }; return nil }
}

/// Python's str.title(): uppercase after any non-letter, lowercase otherwise.
func titleCase(_ s: String) -> String {
    var out = "", previousIsLetter = false
    for ch in s {
        out += previousIsLetter ? ch.lowercased() : ch.uppercased()
        previousIsLetter = ch.isLetter
    }
    return out
}

/// Python's str.replace with an optional count.
func replace(_ s: String, _ old: String, _ new: String, count: Int?) -> String {
    if old.isEmpty {
        var out = new
        for ch in s { out.append(ch); out += new }
        return out
    }
    guard let count, count >= 0 else { return s.replacingOccurrences(of: old, with: new) }
    var out = "", rest = Substring(s), done = 0
    while done < count, let r = rest.range(of: old) {
        out += rest[..<r.lowerBound] + new; rest = rest[r.upperBound...]; done += 1
    }
    return out + rest
}

/// Python's strip/lstrip/rstrip: whitespace, or any of `chars` when given.
func strip(_ s: String, _ chars: JinjaValue?, leading: Bool, trailing: Bool) throws -> String {
    let set: Set<Unicode.Scalar>?
    if let chars, !chars.isNone, !chars.isUndefined { set = Set(chars.pythonString.unicodeScalars) } else { set = nil }
    func strippable(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? c.properties.isWhitespace }
    var scalars = Array(s.unicodeScalars)[...]
    if leading { while let f = scalars.first, strippable(f) { scalars.removeFirst() } }
    if trailing { while let l = scalars.last, strippable(l) { scalars.removeLast() } }
    var out = ""; out.unicodeScalars.append(contentsOf: scalars)
    return out
}
