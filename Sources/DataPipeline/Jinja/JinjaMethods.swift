/// Python methods templates call on values (`s.startswith(...)`, `d.get(...)`, `d.items()`).
/// Mutating methods (`list.append`, `dict.update`) are absent: HF renders in an immutable sandbox.
extension JinjaInterpreter {
    /// Returns nil when `name` is not a method of the value, so the caller falls back to calling
    /// the attribute (a macro or function stored in a dict or namespace).
    func callMethod(_ object: JinjaValue, _ name: String, _ args: JinjaArguments) throws -> JinjaValue? {
        switch object {
        case .string(let s): return try stringMethod(s, name, args)
        case .dict(let d):
            switch name {
            case "get": return d[try args.required(0, "key", of: name)] ?? args.value(1, "default") ?? JinjaValue.none
            case "items": return .list(d.pairs.map { .tuple([$0.key, $0.value]) })
            case "keys": return .list(d.keys)
            case "values": return .list(d.orderedValues)
            default: return nil
            }
        case .list(let a), .tuple(let a):
            switch name {
            case "index":
                let v = try args.required(0, "value", of: name)
                guard let i = a.firstIndex(where: { $0.pythonEquals(v) }) else { throw JinjaFailure("\(v.pythonRepr) is not in list") }
                return .int(i)
            case "count":
                let v = try args.required(0, "value", of: name)
                return .int(a.filter { $0.pythonEquals(v) }.count)
            case "append", "extend", "pop", "insert", "remove", "clear", "sort", "reverse":
                throw JinjaFailure("access to attribute '\(name)' of '\(object.typeName)' object is unsafe")
            default: return nil
            }
        case .undefined(let hint): throw JinjaFailure(hint)
        default: return nil
        }
    }

    private func stringMethod(_ s: String, _ name: String, _ args: JinjaArguments) throws -> JinjaValue? {
        switch name {
        case "startswith", "endswith":
            let arg = try args.required(0, "prefix", of: name)
            let candidates: [JinjaValue]
            if case .tuple(let t) = arg { candidates = t } else { candidates = [arg] }
            let scalars = Array(s.unicodeScalars)
            return .bool(try candidates.contains { c in
                guard case .string(let p) = c else { throw JinjaFailure("\(name) first arg must be str or a tuple of str, not \(c.typeName)") }
                let ps = Array(p.unicodeScalars)
                guard ps.count <= scalars.count else { return false }
                return name == "startswith" ? Array(scalars.prefix(ps.count)) == ps : Array(scalars.suffix(ps.count)) == ps
            })
        case "strip": return .string(try strip(s, args.value(0, "chars"), leading: true, trailing: true))
        case "lstrip": return .string(try strip(s, args.value(0, "chars"), leading: true, trailing: false))
        case "rstrip": return .string(try strip(s, args.value(0, "chars"), leading: false, trailing: true))
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "title": return .string(titleCase(s))
        case "capitalize": return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case "replace":
            return .string(replace(s, try args.required(0, "old", of: name).pythonString,
                                   try args.required(1, "new", of: name).pythonString, count: args.value(2, "count")?.integer))
        case "split", "rsplit":
            let separator = args.value(0, "sep")
            let maxSplit = args.value(1, "maxsplit")?.integer ?? -1
            if separator == nil || separator!.isNone {
                var parts = s.split(whereSeparator: { $0.isWhitespace }).map(String.init)
                if maxSplit >= 0 && parts.count > maxSplit + 1 {
                    // Rejoining loses the original whitespace only in the rare maxsplit case.
                    let head = parts.prefix(maxSplit); let tail = parts.dropFirst(maxSplit).joined(separator: " ")
                    parts = Array(head) + [tail]
                }
                return .list(parts.map { .string($0) })
            }
            let sep = separator!.pythonString
            guard !sep.isEmpty else { throw JinjaFailure("empty separator") }
            var parts = s.components(separatedBy: sep)
            if maxSplit >= 0 && parts.count > maxSplit + 1 {
                if name == "split" { parts = Array(parts.prefix(maxSplit)) + [parts.dropFirst(maxSplit).joined(separator: sep)] }
                else { parts = [parts.dropLast(maxSplit).joined(separator: sep)] + Array(parts.suffix(maxSplit)) }
            }
            return .list(parts.map { .string($0) })
        case "join":
            return .string(try iterate(try args.required(0, "iterable", of: name)).map(\.pythonString).joined(separator: s))
        case "find":
            let sub = try args.required(0, "sub", of: name).pythonString
            guard let r = s.range(of: sub) else { return .int(-1) }
            return .int(s.unicodeScalars.distance(from: s.startIndex, to: r.lowerBound))
        case "count":
            let sub = try args.required(0, "sub", of: name).pythonString
            return .int(s.components(separatedBy: sub).count - 1)
        case "format":
            var out = "", rest = Substring(s), position = 0
            while let open = rest.firstIndex(of: "{") {
                out += rest[..<open]
                guard let close = rest[open...].firstIndex(of: "}") else { throw JinjaFailure("Single '{' encountered in format string") }
                let field = rest[rest.index(after: open)..<close]
                let v: JinjaValue?
                if field.isEmpty { v = args.value(position, ""); position += 1 }
                else if let i = Int(field) { v = args.value(i, "") }
                else { v = args.value(Int.max, String(field)) }
                guard let v else { throw JinjaFailure("missing format argument '\(field)'") }
                out += v.pythonString
                rest = rest[rest.index(after: close)...]
            }
            return .string(out + rest)
        case "removeprefix", "removesuffix":
            let affix = try args.required(0, "prefix", of: name).pythonString
            let scalars = Array(s.unicodeScalars), a = Array(affix.unicodeScalars)
            guard !a.isEmpty, a.count <= scalars.count else { return .string(s) }
            var out = ""
            if name == "removeprefix" {
                guard Array(scalars.prefix(a.count)) == a else { return .string(s) }
                out.unicodeScalars.append(contentsOf: scalars.dropFirst(a.count))
            } else {
                guard Array(scalars.suffix(a.count)) == a else { return .string(s) }
                out.unicodeScalars.append(contentsOf: scalars.dropLast(a.count))
            }
            return .string(out)
        case "splitlines":
            var lines = s.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map(String.init)
            if lines.last == "" { lines.removeLast() }
            return .list(lines.map { .string($0) })
        case "isupper": return .bool(s.contains(where: \.isCased) && s == s.uppercased())
        case "islower": return .bool(s.contains(where: \.isCased) && s == s.lowercased())
        case "isdigit": return .bool(!s.isEmpty && s.allSatisfy(\.isNumber))
        case "isalpha": return .bool(!s.isEmpty && s.allSatisfy(\.isLetter))
        case "isspace": return .bool(!s.isEmpty && s.allSatisfy(\.isWhitespace))
        default: return nil
        }
    }
}
