/// Expression evaluation with Python semantics (`or` returns an operand, `1 == 1.0`, negative
/// indices, slices with any step).
extension JinjaInterpreter {
    func evaluate(_ e: JinjaExpression, in scope: JinjaScope) throws -> JinjaValue {
        switch e.kind {
        case .literal(let l):
            switch l {
            case .none: return .none
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .double(let d): return .double(d)
            case .string(let s): return .string(s)
            }
        case .name(let n):
            if let v = scope.lookup(n) { return v }
            if let g = JinjaGlobals.function(named: n, clock: clock) { return .function(g) }
            return .undefined(hint: "'\(n)' is undefined")
        case .list(let items): return .list(try items.map { try evaluate($0, in: scope) })
        case .tuple(let items): return .tuple(try items.map { try evaluate($0, in: scope) })
        case .dict(let pairs):
            var d = JinjaDictionary()
            for (k, v) in pairs {
                let key = try evaluate(k, in: scope)
                guard JinjaDictionary.isHashable(key) else { throw runtime("unhashable type: '\(key.typeName)'", k) }
                d[key] = try evaluate(v, in: scope)
            }
            return .dict(d)
        case .attribute(let objectExpression, let name):
            let object = try evaluate(objectExpression, in: scope)
            return try wrap(e) { try attribute(of: object, name) }
        case .index(let objectExpression, let indexExpression):
            let object = try evaluate(objectExpression, in: scope)
            let index = try evaluate(indexExpression, in: scope)
            return try wrap(e) { try item(of: object, index) }
        case .slice(let objectExpression, let start, let stop, let step):
            let object = try evaluate(objectExpression, in: scope)
            let bounds = try [start, stop, step].map { try $0.map { try evaluate($0, in: scope) } }
            return try wrap(e) { try slice(object, bounds[0], bounds[1], bounds[2]) }
        case .call(let callee, let argumentExpressions):
            let args = try evaluateArguments(argumentExpressions, in: scope)
            if case .attribute(let objectExpression, let name) = callee.kind {
                let object = try evaluate(objectExpression, in: scope)
                if let result = try wrap(e, { try callMethod(object, name, args) }) { return result }
                return try call(try wrap(e) { try attribute(of: object, name) }, args, at: e)
            }
            return try call(try evaluate(callee, in: scope), args, at: e)
        case .filter(let valueExpression, let name, let argumentExpressions):
            let value = try evaluate(valueExpression, in: scope)
            let args = try evaluateArguments(argumentExpressions, in: scope)
            return try applyFilter(name, value, args, at: e)
        case .test(let valueExpression, let name, let argumentExpressions, let negated):
            let value = try evaluate(valueExpression, in: scope)
            let args = try evaluateArguments(argumentExpressions, in: scope)
            let result = try applyTest(name, value, args, at: e)
            return .bool(negated ? !result : result)
        case .unary(let op, let operandExpression):
            let operand = try evaluate(operandExpression, in: scope)
            switch op {
            case "not": return .bool(!operand.isTruthy)
            case "-":
                switch operand {
                case .int(let i):
                    let (negated, overflow) = Int(0).subtractingReportingOverflow(i)
                    if overflow { throw runtime("integer result too large", e) }
                    return .int(negated)
                case .double(let d): return .double(-d)
                case .bool(let b): return .int(b ? -1 : 0)
                default: throw runtime(undefinedOr(operand, "bad operand type for unary -: '\(operand.typeName)'"), e)
                }
            default:
                switch operand {
                case .int, .double: return operand
                case .bool(let b): return .int(b ? 1 : 0)
                default: throw runtime(undefinedOr(operand, "bad operand type for unary +: '\(operand.typeName)'"), e)
                }
            }
        case .and(let l, let r):
            let left = try evaluate(l, in: scope)
            return left.isTruthy ? try evaluate(r, in: scope) : left
        case .or(let l, let r):
            let left = try evaluate(l, in: scope)
            return left.isTruthy ? left : try evaluate(r, in: scope)
        case .conditional(let test, let then, let otherwise):
            if try evaluate(test, in: scope).isTruthy { return try evaluate(then, in: scope) }
            guard let otherwise else { return .undefined(hint: "the inline if-expression evaluated to false and no else section was defined") }
            return try evaluate(otherwise, in: scope)
        case .binary(let op, let l, let r):
            let left = try evaluate(l, in: scope)
            let right = try evaluate(r, in: scope)
            return try wrap(e) { try binary(op, left, right) }
        }
    }

    func runtime(_ message: String, _ e: JinjaExpression) -> JinjaError {
        .runtime(message: message, line: e.line, column: e.column)
    }

    func undefinedOr(_ value: JinjaValue, _ message: String) -> String {
        if case .undefined(let hint) = value { return hint }
        return message
    }

    private func evaluateArguments(_ a: JinjaCallArguments, in scope: JinjaScope) throws -> JinjaArguments {
        JinjaArguments(positional: try a.positional.map { try evaluate($0, in: scope) },
                       keyword: try a.keyword.map { ($0.0, try evaluate($0.1, in: scope)) })
    }

    func call(_ callee: JinjaValue, _ args: JinjaArguments, at e: JinjaExpression) throws -> JinjaValue {
        switch callee {
        case .macro(let m): return try callMacro(m, args, at: e)
        case .function(let f):
            do { return try f.body(args) } catch let failure as JinjaFailure {
                throw runtime(failure.message, e)
            } catch JinjaRaised.message(let m) {
                throw JinjaError.raised(message: m, line: e.line, column: e.column)
            } catch JinjaRangeTooLong.count(let n) {
                throw limitError("range of \(n) items exceeds the sandbox limit of \(JinjaGlobals.maximumRangeLength)", e)
            }
        default: throw runtime(undefinedOr(callee, "'\(callee.typeName)' object is not callable"), e)
        }
    }

    /// `obj.name`: jinja2 tries the attribute, then the item; dict keys are items.
    func attribute(of object: JinjaValue, _ name: String) throws -> JinjaValue {
        switch object {
        case .undefined(let hint): throw JinjaFailure(hint)
        case .dict(let d):
            return d[name] ?? .undefined(hint: "'dict object' has no attribute '\(name)'")
        case .namespace(let n):
            return n.attributes[name] ?? .undefined(hint: "'Namespace object' has no attribute '\(name)'")
        default:
            return .undefined(hint: "'\(object.typeName) object' has no attribute '\(name)'")
        }
    }

    /// `obj[index]`: missing keys and out-of-range indices are Undefined, as in jinja2.
    func item(of object: JinjaValue, _ index: JinjaValue) throws -> JinjaValue {
        switch object {
        case .undefined(let hint): throw JinjaFailure(hint)
        case .dict(let d):
            return d[index] ?? .undefined(hint: "'dict object' has no attribute \(index.pythonRepr)")
        case .namespace(let n):
            return n.attributes[index] ?? .undefined(hint: "'Namespace object' has no attribute \(index.pythonRepr)")
        case .list(let a), .tuple(let a):
            guard let i = integerIndex(index) else { throw JinjaFailure("list indices must be integers, not \(index.typeName)") }
            let k = i < 0 ? i + a.count : i
            return (0..<a.count).contains(k) ? a[k] : .undefined(hint: "'\(object.typeName) object' has no element \(i)")
        case .string(let s):
            guard let i = integerIndex(index) else {
                if case .string(let name) = index { return try attribute(of: object, name) }
                throw JinjaFailure("string indices must be integers")
            }
            let scalars = Array(s.unicodeScalars)
            let k = i < 0 ? i + scalars.count : i
            return (0..<scalars.count).contains(k) ? .string(String(scalars[k])) : .undefined(hint: "'str object' has no element \(i)")
        default:
            if case .string(let name) = index { return try attribute(of: object, name) }
            return .undefined(hint: "'\(object.typeName) object' has no element \(index.pythonRepr)")
        }
    }

    private func integerIndex(_ v: JinjaValue) -> Int? {
        switch v {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Python slicing (`a[start:stop:step]`), including negative steps.
    func slice(_ object: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws -> JinjaValue {
        func bound(_ v: JinjaValue?) throws -> Int? {
            guard let v, !v.isUndefined, !v.isNone else { return nil }
            guard let i = integerIndex(v) else { throw JinjaFailure("slice indices must be integers or None") }
            return i
        }
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw JinjaFailure("slice step cannot be zero") }
        func indices(_ n: Int) throws -> [Int] {
            func adjust(_ v: Int?, _ defaultValue: Int) -> Int {
                guard var x = v else { return defaultValue }
                if x < 0 { x += n; if x < 0 { x = stepValue < 0 ? -1 : 0 } }
                else if x >= n { x = stepValue < 0 ? n - 1 : n }
                return x
            }
            let lo = adjust(try bound(start), stepValue < 0 ? n - 1 : 0)
            let hi = adjust(try bound(stop), stepValue < 0 ? -1 : n)
            return Array(stride(from: lo, to: hi, by: stepValue))
        }
        switch object {
        case .list(let a): return .list(try indices(a.count).map { a[$0] })
        case .tuple(let a): return .tuple(try indices(a.count).map { a[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = ""; out.unicodeScalars.append(contentsOf: try indices(scalars.count).map { scalars[$0] })
            return .string(out)
        case .undefined(let hint): throw JinjaFailure(hint)
        default: throw JinjaFailure("'\(object.typeName)' object is not subscriptable")
        }
    }
}

/// Thrown by `raise_exception` so the interpreter can report it as `JinjaError.raised`.
enum JinjaRaised: Error { case message(String) }
/// Thrown by `range` when it would build more items than the loop cap allows.
enum JinjaRangeTooLong: Error { case count(Int) }
