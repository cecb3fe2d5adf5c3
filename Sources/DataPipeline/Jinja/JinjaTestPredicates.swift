/// jinja2's tests (`x is defined`, `x is string`, ...).
extension JinjaInterpreter {
    func applyTest(_ name: String, _ value: JinjaValue, _ args: JinjaArguments, at e: JinjaExpression) throws -> Bool {
        do { return try test(name, value, args) } catch let f as JinjaFailure { throw runtime(f.message, e) }
    }

    func test(_ name: String, _ value: JinjaValue, _ args: JinjaArguments) throws -> Bool {
        func other() throws -> JinjaValue { try args.required(0, "value", of: name) }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "string": return value.isString
        case "number":
            switch value { case .int, .double, .bool: return true; default: return false }
        case "integer": if case .int = value { return true }; return false
        case "float": if case .double = value { return true }; return false
        case "boolean": if case .bool = value { return true }; return false
        case "true": if case .bool(true) = value { return true }; return false
        case "false": if case .bool(false) = value { return true }; return false
        case "mapping": if case .dict = value { return true }; return false
        case "sequence":
            switch value { case .list, .tuple, .string, .dict: return true; default: return false }
        case "iterable":
            switch value { case .list, .tuple, .string, .dict, .undefined: return true; default: return false }
        case "callable":
            switch value { case .macro, .function: return true; default: return false }
        case "odd", "even":
            // jinja2: `value % 2 == 1` / `value % 2 == 0`, so floats are allowed.
            let remainder = try binary("%", value, .int(2))
            return remainder.pythonEquals(.int(name == "odd" ? 1 : 0))
        case "divisibleby":
            return try binary("%", value, try other()).pythonEquals(.int(0))
        case "eq", "equalto", "==": return value.pythonEquals(try other())
        case "ne", "!=": return !value.pythonEquals(try other())
        case "lt", "lessthan", "<": return try binary("<", value, try other()).isTruthy
        case "gt", "greaterthan", ">": return try binary(">", value, try other()).isTruthy
        case "le", "<=": return try binary("<=", value, try other()).isTruthy
        case "ge", ">=": return try binary(">=", value, try other()).isTruthy
        case "in": return try contains(try other(), value)
        case "sameas":
            let o = try other()
            switch (value, o) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            default: return false
            }
        case "lower": return value.stringValue.map { $0 == $0.lowercased() } ?? false
        case "upper": return value.stringValue.map { $0 == $0.uppercased() } ?? false
        default: throw JinjaFailure("no test named '\(name)'")
        }
    }
}
