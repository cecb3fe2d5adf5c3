/// Expressions, by jinja2's precedence: each level parses the next tighter one.
extension JinjaParser {
    static let maxExpressionDepth = 100

    func make(_ kind: JinjaExpressionKind, _ t: JinjaToken) throws -> JinjaExpression {
        try checked(JinjaExpression(kind: kind, line: t.line, column: t.column))
    }

    func checked(_ e: JinjaExpression) throws -> JinjaExpression {
        guard e.depth <= Self.maxExpressionDepth else {
            throw JinjaError.syntax(message: "expression nested too deeply (more than \(Self.maxExpressionDepth) levels)", line: e.line, column: e.column)
        }
        return e
    }

    /// `a, b` without brackets is a tuple (as in `{% set a, b = ... %}` values and `{{ a, b }}`).
    mutating func parseTupleOrExpression() throws -> JinjaExpression {
        let start = current
        let first = try parseExpression()
        guard isOp(",") else { return first }
        var items = [first]
        while isOp(",") {
            _ = next()
            if current.kind == .blockEnd || current.kind == .variableEnd { break }
            items.append(try parseExpression())
        }
        return try make(.tuple(items), start)
    }

    mutating func parseExpression() throws -> JinjaExpression {
        nesting += 1; defer { nesting -= 1 }
        guard nesting < Self.maxNesting else { throw error("expression nested too deeply", current) }
        let start = current
        let value = try parseOr()
        if isName("if") {
            _ = next()
            let test = try parseOr()
            var otherwise: JinjaExpression?
            if isName("else") { _ = next(); otherwise = try parseExpression() }
            return try make(.conditional(test: test, then: value, otherwise: otherwise), start)
        }
        return value
    }

    mutating func parseOr() throws -> JinjaExpression {
        var left = try parseAnd()
        while isName("or") { let t = next(); left = try make(.or(left, try parseAnd()), t) }
        return left
    }

    mutating func parseAnd() throws -> JinjaExpression {
        var left = try parseNot()
        while isName("and") { let t = next(); left = try make(.and(left, try parseNot()), t) }
        return left
    }

    mutating func parseNot() throws -> JinjaExpression {
        if isName("not") { let t = next(); return try make(.unary("not", try parseNot()), t) }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> JinjaExpression {
        let left = try parseMath1()
        var comparisons: [JinjaExpression] = []
        var operand = left
        while true {
            let t = current
            var op: String?
            if case .op(let o) = t.kind, ["==", "!=", "<", ">", "<=", ">="].contains(o) { op = o; _ = next() }
            else if isName("in") { op = "in"; _ = next() }
            else if isName("not") && peek().kind == .name("in") { op = "not in"; _ = next(); _ = next() }
            guard let op else { break }
            let right = try parseMath1()
            comparisons.append(try make(.binary(op, operand, right), t))
            operand = right
        }
        guard var result = comparisons.first else { return left }
        for c in comparisons.dropFirst() { result = try checked(JinjaExpression(kind: .and(result, c), line: c.line, column: c.column)) }
        return result
    }

    mutating func parseMath1() throws -> JinjaExpression {
        var left = try parseConcat()
        while isOp("+") || isOp("-") {
            let t = next(); guard case .op(let o) = t.kind else { break }
            left = try make(.binary(o, left, try parseConcat()), t)
        }
        return left
    }

    mutating func parseConcat() throws -> JinjaExpression {
        var left = try parseMath2()
        while isOp("~") { let t = next(); left = try make(.binary("~", left, try parseMath2()), t) }
        return left
    }

    mutating func parseMath2() throws -> JinjaExpression {
        var left = try parsePow()
        while isOp("*") || isOp("/") || isOp("//") || isOp("%") {
            let t = next(); guard case .op(let o) = t.kind else { break }
            left = try make(.binary(o, left, try parsePow()), t)
        }
        return left
    }

    mutating func parsePow() throws -> JinjaExpression {
        var left = try parseUnary(withFilter: true)
        while isOp("**") { let t = next(); left = try make(.binary("**", left, try parseUnary(withFilter: true)), t) }
        return left
    }

    mutating func parseUnary(withFilter: Bool) throws -> JinjaExpression {
        let t = current
        var node: JinjaExpression
        if isOp("-") || isOp("+") {
            _ = next(); guard case .op(let o) = t.kind else { throw error("bad unary", t) }
            node = try make(.unary(o, try parseUnary(withFilter: false)), t)
        } else {
            node = try parsePostfix(try parsePrimary())
        }
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }

    mutating func parsePrimary() throws -> JinjaExpression {
        nesting += 1; defer { nesting -= 1 }
        guard nesting < Self.maxNesting else { throw error("expression nested too deeply", current) }
        let t = next()
        switch t.kind {
        case .name(let n):
            switch n {
            case "true", "True": return try make(.literal(.bool(true)), t)
            case "false", "False": return try make(.literal(.bool(false)), t)
            case "none", "None": return try make(.literal(.none), t)
            default: return try make(.name(n), t)
            }
        case .string(var s):
            while case .string(let more) = current.kind { s += more; _ = next() }
            return try make(.literal(.string(s)), t)
        case .integer(let i): return try make(.literal(.int(i)), t)
        case .float(let d): return try make(.literal(.double(d)), t)
        case .op("("):
            if isOp(")") { _ = next(); return try make(.tuple([]), t) }
            let first = try parseExpression()
            if isOp(")") { _ = next(); return first }
            var items = [first]
            while isOp(",") {
                _ = next()
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return try make(.tuple(items), t)
        case .op("["):
            var items: [JinjaExpression] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(","); if isOp("]") { break } }
                items.append(try parseExpression())
            }
            _ = next()
            return try make(.list(items), t)
        case .op("{"):
            var pairs: [(JinjaExpression, JinjaExpression)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(","); if isOp("}") { break } }
                let k = try parseExpression()
                try expectOp(":")
                pairs.append((k, try parseExpression()))
            }
            _ = next()
            return try make(.dict(pairs), t)
        default:
            throw error("unexpected \(describe(t)) in expression", t)
        }
    }

    mutating func parsePostfix(_ base: JinjaExpression) throws -> JinjaExpression {
        var node = base
        while true {
            let t = current
            if isOp(".") {
                _ = next()
                switch current.kind {
                case .name(let n): _ = next(); node = try make(.attribute(node, n), t)
                case .integer(let i): _ = next(); node = try make(.index(node, try make(.literal(.int(i)), t)), t)
                default: throw error("expected an attribute name after '.', found \(describe(current))", current)
                }
            } else if isOp("[") {
                _ = next()
                node = try parseSubscript(node, at: t)
            } else if isOp("(") {
                node = try checked(JinjaExpression(kind: .call(node, try parseCallArguments()), line: node.line, column: node.column))
            } else {
                return node
            }
        }
    }

    mutating func parseSubscript(_ object: JinjaExpression, at t: JinjaToken) throws -> JinjaExpression {
        var parts: [JinjaExpression?] = []
        var isSlice = false
        var currentPart: JinjaExpression?
        while !isOp("]") {
            if isOp(":") { _ = next(); parts.append(currentPart); currentPart = nil; isSlice = true; continue }
            guard currentPart == nil else { throw error("expected ']' or ':', found \(describe(current))", current) }
            currentPart = try parseExpression()
        }
        _ = next()
        parts.append(currentPart)
        if !isSlice {
            guard let index = parts[0] else { throw error("empty subscript", t) }
            return try make(.index(object, index), t)
        }
        guard parts.count <= 3 else { throw error("too many ':' in slice", t) }
        return try make(.slice(object, start: parts[0], stop: parts.count > 1 ? parts[1] : nil, step: parts.count > 2 ? parts[2] : nil), t)
    }

    mutating func parseCallArguments() throws -> JinjaCallArguments {
        try expectOp("(")
        var args = JinjaCallArguments()
        while !isOp(")") {
            if !args.positional.isEmpty || !args.keyword.isEmpty { try expectOp(","); if isOp(")") { break } }
            if case .name(let n) = current.kind, peek().kind == .op("=") {
                _ = next(); _ = next()
                args.keyword.append((n, try parseExpression()))
            } else {
                if !args.keyword.isEmpty { throw error("positional argument after keyword argument", current) }
                args.positional.append(try parseExpression())
            }
        }
        _ = next()
        return args
    }

    mutating func parseFilterExpression(_ base: JinjaExpression) throws -> JinjaExpression {
        var node = base
        while true {
            let t = current
            if isOp("|") {
                _ = next()
                var name = try expectName()
                while isOp(".") { _ = next(); name += "." + (try expectName()) }
                let args = isOp("(") ? try parseCallArguments() : JinjaCallArguments()
                node = try make(.filter(node, name: name, args), t)
            } else if isName("is") {
                _ = next()
                var negated = false
                if isName("not") { _ = next(); negated = true }
                let name = try expectName()
                var args = JinjaCallArguments()
                if isOp("(") {
                    args = try parseCallArguments()
                } else if startsTestArgument() {
                    args.positional = [try parsePostfix(try parsePrimary())]
                }
                node = try make(.test(node, name: name, args, negated: negated), t)
            } else if isOp("(") {
                node = try make(.call(node, try parseCallArguments()), t)
            } else {
                return node
            }
        }
    }

    /// jinja2 lets a test take one argument without parentheses (`x is divisibleby 3`).
    func startsTestArgument() -> Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and", "if", "in", "not", "is"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "[" || o == "{"
        default: return false
        }
    }
}
