import Foundation

/// Python's binary operators and comparisons on template values.
extension JinjaValue {
    var isNone: Bool { if case .none = self { return true }; return false }

    /// A number as Python sees it in arithmetic (bool is an int).
    fileprivate var number: (int: Int?, double: Double)? {
        switch self {
        case .int(let i): return (i, Double(i))
        case .bool(let b): return (b ? 1 : 0, b ? 1 : 0)
        case .double(let d): return (nil, d)
        default: return nil
        }
    }

    /// Python `==`.
    func pythonEquals(_ other: JinjaValue) -> Bool {
        if let a = number, let b = other.number {
            if let x = a.int, let y = b.int { return x == y }
            return a.double == b.double
        }
        switch (self, other) {
        case (.none, .none), (.undefined, .undefined): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case (.dict(let a), .dict(let b)):
            return a.count == b.count && a.pairs.allSatisfy { p in b[p.key].map { $0.pythonEquals(p.value) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        default: return false
        }
    }

    /// Python ordering (`<`); nil when the types are not comparable.
    func pythonLess(_ other: JinjaValue) -> Bool? {
        if let a = number, let b = other.number {
            if let x = a.int, let y = b.int { return x < y }
            return a.double < b.double
        }
        switch (self, other) {
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.map(\.value).lexicographicallyPrecedes(b.unicodeScalars.map(\.value))
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) { return x.pythonLess(y) }
            return a.count < b.count
        default: return nil
        }
    }
}

extension JinjaInterpreter {
    func binary(_ op: String, _ left: JinjaValue, _ right: JinjaValue) throws -> JinjaValue {
        switch op {
        case "==": return .bool(left.pythonEquals(right))
        case "!=": return .bool(!left.pythonEquals(right))
        case "<", ">", "<=", ">=":
            let (a, b) = op == "<" || op == "<=" ? (left, right) : (right, left)
            guard let less = a.pythonLess(b) else {
                throw JinjaFailure(undefinedOr(left.isUndefined ? left : right,
                    "'\(op)' not supported between instances of '\(left.typeName)' and '\(right.typeName)'"))
            }
            return .bool(op.count == 2 ? (less || a.pythonEquals(b)) : less)
        case "in": return .bool(try contains(right, left))
        case "not in": return .bool(!(try contains(right, left)))
        case "~": return .string(left.pythonString + right.pythonString)
        default: return try arithmetic(op, left, right)
        }
    }

    func contains(_ container: JinjaValue, _ element: JinjaValue) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let sub) = element else { throw JinjaFailure("'in <string>' requires string as left operand, not \(element.typeName)") }
            return sub.isEmpty || s.contains(sub)
        case .list(let a), .tuple(let a): return a.contains { $0.pythonEquals(element) }
        case .dict(let d):
            if element.isUndefined { return false }
            guard JinjaDictionary.isHashable(element) else { throw JinjaFailure("unhashable type: '\(element.typeName)'") }
            return d[element] != nil
        case .namespace(let n): return n.attributes[element] != nil
        case .undefined: return false
        default: throw JinjaFailure("argument of type '\(container.typeName)' is not iterable")
        }
    }

    private func arithmetic(_ op: String, _ left: JinjaValue, _ right: JinjaValue) throws -> JinjaValue {
        if op == "%", case .string(let format) = left { return .string(try percentFormat(format, right)) }
        if left.isUndefined || right.isUndefined { throw JinjaFailure(undefinedOr(left.isUndefined ? left : right, "")) }
        let unsupported = JinjaFailure("unsupported operand type(s) for \(op): '\(left.typeName)' and '\(right.typeName)'")
        switch (op, left, right) {
        case ("+", .string(let a), .string(let b)): return .string(a + b)
        case ("+", .list(let a), .list(let b)): return .list(a + b)
        case ("+", .tuple(let a), .tuple(let b)): return .tuple(a + b)
        case ("*", .string(let s), _), ("*", _, .string(let s)):
            guard let n = (left.isString ? right : left).integer else { throw unsupported }
            guard n <= 0 || n <= limits.maxOutputBytes / max(1, s.utf8.count) else { throw JinjaFailure("string repetition larger than the output cap") }
            return .string(n > 0 ? String(repeating: s, count: n) : "")
        case ("*", .list(let a), _), ("*", _, .list(let a)), ("*", .tuple(let a), _), ("*", _, .tuple(let a)):
            let sequenceOnLeft: Bool
            switch left { case .list, .tuple: sequenceOnLeft = true; default: sequenceOnLeft = false }
            guard let n = (sequenceOnLeft ? right : left).integer else { throw unsupported }
            guard n <= 0 || n <= limits.maxLoopIterations / max(1, a.count) else { throw JinjaFailure("list repetition longer than the loop cap") }
            let repeated: [JinjaValue] = n > 0 ? Array(repeating: a, count: n).flatMap { $0 } : []
            if case .tuple = (sequenceOnLeft ? left : right) { return .tuple(repeated) }
            return .list(repeated)
        default: break
        }
        guard let a = left.number, let b = right.number else { throw unsupported }
        if let x = a.int, let y = b.int {
            switch op {
            case "+": let (r, o) = x.addingReportingOverflow(y); if !o { return .int(r) }
            case "-": let (r, o) = x.subtractingReportingOverflow(y); if !o { return .int(r) }
            case "*": let (r, o) = x.multipliedReportingOverflow(by: y); if !o { return .int(r) }
            case "//", "%":
                guard y != 0 else { throw JinjaFailure("integer division or modulo by zero") }
                guard !(x == Int.min && y == -1) else { throw JinjaFailure("integer result too large") }
                var q = x / y, r = x % y
                if r != 0 && ((r < 0) != (y < 0)) { q -= 1; r += y }
                return .int(op == "//" ? q : r)
            case "/":
                guard y != 0 else { throw JinjaFailure("division by zero") }
                return .double(Double(x) / Double(y))
            case "**":
                if y < 0 { return .double(Foundation.pow(Double(x), Double(y))) }
                if x == 0 || x == 1 { return .int(y == 0 ? 1 : x) }
                if x == -1 { return .int(y % 2 == 0 ? 1 : -1) }
                var result = 1
                for _ in 0..<y {
                    let (r, o) = result.multipliedReportingOverflow(by: x)
                    if o { throw JinjaFailure("integer result too large") }
                    result = r
                }
                return .int(result)
            default: throw unsupported
            }
            throw JinjaFailure("integer result too large")
        }
        let x = a.double, y = b.double
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/": guard y != 0 else { throw JinjaFailure("float division by zero") }; return .double(x / y)
        case "//": guard y != 0 else { throw JinjaFailure("float floor division by zero") }; return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw JinjaFailure("float modulo") }
            // Python: the result takes the divisor's sign, zero included.
            var r = fmod(x, y)
            if r != 0 { if (r < 0) != (y < 0) { r += y } } else { r = Double(signOf: y, magnitudeOf: 0) }
            return .double(r)
        case "**":
            if x == 0 && y < 0 { throw JinjaFailure("0.0 cannot be raised to a negative power") }
            let r = Foundation.pow(x, y)
            if r.isInfinite && x.isFinite && y.isFinite { throw JinjaFailure("(34, 'Numerical result out of range')") }
            return .double(r)
        default: throw unsupported
        }
    }

    /// Python `"%s and %d" % args`, the subset templates use: conversions s r d i f x with
    /// `-`/`0` flags, width and precision, and `%%`.
    private func percentFormat(_ format: String, _ argument: JinjaValue) throws -> String {
        var args: [JinjaValue]
        var isMapping = false
        switch argument {
        case .tuple(let t): args = t
        // Python treats any non-tuple argument with __getitem__ as a mapping that may go unused.
        case .dict, .list, .undefined: args = [argument]; isMapping = true
        default: args = [argument]
        }
        var out = "", chars = Array(format), k = 0
        while k < chars.count {
            let c = chars[k]; k += 1
            guard c == "%" else { out.append(c); continue }
            var leftAlign = false, zeroPad = false
            while k < chars.count && (chars[k] == "-" || chars[k] == "0") { if chars[k] == "-" { leftAlign = true } else { zeroPad = true }; k += 1 }
            var width = 0
            while k < chars.count, let d = chars[k].wholeNumberValue { width = width * 10 + d; k += 1 }
            var precision: Int?
            if k < chars.count && chars[k] == "." {
                k += 1; var p = 0
                while k < chars.count, let d = chars[k].wholeNumberValue { p = p * 10 + d; k += 1 }
                precision = p
            }
            guard k < chars.count else { throw JinjaFailure("incomplete format") }
            let spec = chars[k]; k += 1
            if spec == "%" { out += "%"; continue }
            guard !args.isEmpty else { throw JinjaFailure("not enough arguments for format string") }
            let v = args.removeFirst()
            var text: String
            switch spec {
            case "s": text = v.pythonString; if let precision { text = String(text.prefix(precision)) }
            case "r": text = v.pythonRepr
            case "d", "i", "x", "f":
                guard let n = v.number else { throw JinjaFailure("%\(spec) format: a real number is required, not \(v.typeName)") }
                if spec == "f" {
                    text = String(format: "%.\(precision ?? 6)f", n.double)
                } else {
                    let i = try n.int ?? truncatedInt(n.double)
                    text = spec == "x" ? (i < 0 ? "-" : "") + String(i.magnitude, radix: 16) : String(i)
                }
            default: throw JinjaFailure("unsupported format character '\(spec)'")
            }
            if text.count < width {
                let pad = width - text.count
                if leftAlign { text += String(repeating: " ", count: pad) }
                else if zeroPad && spec != "s" && spec != "r" {
                    let negative = text.hasPrefix("-")
                    text = (negative ? "-" : "") + String(repeating: "0", count: pad) + (negative ? String(text.dropFirst()) : text)
                } else { text = String(repeating: " ", count: pad) + text }
            }
            out += text
        }
        // A mapping argument may go unused (`'' % {}`), as in Python.
        guard args.isEmpty || isMapping else { throw JinjaFailure("not all arguments converted during string formatting") }
        return out
    }
}

extension JinjaValue {
    var isString: Bool { if case .string = self { return true }; return false }
    var isList: Bool { if case .list = self { return true }; return false }
    var integer: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
}

/// Python's int(float) for floats that fit in a machine integer (Python's are unbounded; a
/// template converting 1e20 gets an error instead of a wrong number).
func truncatedInt(_ d: Double) throws -> Int {
    let t = d.rounded(.towardZero)
    guard t >= -9.223372036854775808e18 && t < 9.223372036854775808e18 else { throw JinjaFailure("integer \(pythonFloatRepr(d)) is too large") }
    return Int(t)
}

func negatedIfNegative(_ i: Int) throws -> Int {
    guard i != Int.min else { throw JinjaFailure("integer result too large") }
    return abs(i)
}
