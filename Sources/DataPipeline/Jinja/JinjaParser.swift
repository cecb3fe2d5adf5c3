/// Recursive-descent parser with jinja2's grammar and operator precedence (lowest first):
/// conditional `a if b else c`, `or`, `and`, `not`, comparisons and `in`, `+ -`, `~`,
/// `* / // %`, `**`, unary `- +`, then primary with postfix `.x [i] (args)` and `|filter`/`is test`.
struct JinjaParser {
    private let tokens: [JinjaToken]
    private var p = 0
    private var loopDepth = 0
    private var nesting = 0
    static let maxNesting = 200

    init(tokens: [JinjaToken]) { self.tokens = tokens }

    mutating func parseTemplate() throws -> [JinjaStatement] {
        let (body, end) = try parseBody(until: [])
        if let end { throw error("unexpected '\(end.name)'", end.token) }
        return body
    }

    // MARK: tokens

    private var current: JinjaToken { tokens[p] }
    private func peek(_ n: Int = 1) -> JinjaToken { tokens[min(p + n, tokens.count - 1)] }
    private mutating func next() -> JinjaToken { let t = tokens[p]; if p < tokens.count - 1 { p += 1 }; return t }

    private func error(_ message: String, _ t: JinjaToken) -> JinjaError { .syntax(message: message, line: t.line, column: t.column) }

    private func describe(_ t: JinjaToken) -> String {
        switch t.kind {
        case .text: return "text"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string '\(s)'"
        case .integer(let i): return "'\(i)'"
        case .float(let d): return "'\(d)'"
        case .op(let o): return "'\(o)'"
        case .end: return "end of template"
        }
    }

    private func isOp(_ op: String) -> Bool { current.kind == .op(op) }
    private func isName(_ name: String) -> Bool { current.kind == .name(name) }

    private mutating func expectOp(_ op: String) throws {
        guard isOp(op) else { throw error("expected '\(op)', found \(describe(current))", current) }
        _ = next()
    }

    private mutating func expectName() throws -> String {
        guard case .name(let n) = current.kind else { throw error("expected a name, found \(describe(current))", current) }
        _ = next(); return n
    }

    private mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw error("expected end of statement '%}', found \(describe(current))", current) }
        _ = next()
    }

    // MARK: statements

    /// Parses statements until a `{% name %}` with name in `endNames`; consumes that name and
    /// returns it (with its token), leaving the rest of that tag for the caller.
    private mutating func parseBody(until endNames: Set<String>) throws -> ([JinjaStatement], (name: String, token: JinjaToken)?) {
        var body: [JinjaStatement] = []
        while true {
            let t = current
            switch t.kind {
            case .end:
                return (body, nil)
            case .text(let s):
                _ = next(); body.append(.text(s))
            case .variableBegin:
                _ = next()
                let e = try parseTupleOrExpression()
                guard current.kind == .variableEnd else { throw error("expected end of print statement '}}', found \(describe(current))", current) }
                _ = next()
                body.append(.output(e))
            case .blockBegin:
                guard case .name(let keyword) = peek().kind else { throw error("expected a statement name after '{%'", peek()) }
                if endNames.contains(keyword) { _ = next(); let nameToken = next(); return (body, (keyword, nameToken)) }
                _ = next(); _ = next()
                body.append(try parseStatement(keyword, at: t))
            default:
                throw error("unexpected \(describe(t))", t)
            }
        }
    }

    private mutating func requireEnd(_ end: (name: String, token: JinjaToken)?, _ expected: String, opener: JinjaToken) throws {
        guard end != nil else { throw error("unclosed block: expected '{% \(expected) %}' before the end of the template", opener) }
    }

    private mutating func parseStatement(_ keyword: String, at tag: JinjaToken) throws -> JinjaStatement {
        nesting += 1; defer { nesting -= 1 }
        guard nesting < Self.maxNesting else { throw error("blocks nested too deeply", tag) }
        switch keyword {
        case "if":
            var branches: [JinjaBranch] = []
            var condition = try parseExpression()
            var otherwise: [JinjaStatement] = []
            while true {
                try expectBlockEnd()
                let (body, end) = try parseBody(until: ["elif", "else", "endif"])
                try requireEnd(end, "endif", opener: tag)
                branches.append(JinjaBranch(condition: condition, body: body))
                if end!.name == "elif" { condition = try parseExpression(); continue }
                if end!.name == "else" {
                    try expectBlockEnd()
                    let (elseBody, elseEnd) = try parseBody(until: ["endif"])
                    try requireEnd(elseEnd, "endif", opener: tag)
                    otherwise = elseBody
                }
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: otherwise)
            }
        case "for":
            var variables = [try expectName()]
            while isOp(",") { _ = next(); variables.append(try expectName()) }
            guard isName("in") else { throw error("expected 'in' in for loop, found \(describe(current))", current) }
            _ = next()
            let iterable = try parseOr()
            var filter: JinjaExpression?
            if isName("if") { _ = next(); filter = try parseExpression() }
            if isName("recursive") { throw error("recursive for loops are not supported", current) }
            try expectBlockEnd()
            loopDepth += 1
            let (body, end) = try parseBody(until: ["else", "endfor"])
            loopDepth -= 1
            try requireEnd(end, "endfor", opener: tag)
            var otherwise: [JinjaStatement] = []
            if end!.name == "else" {
                try expectBlockEnd()
                let (elseBody, elseEnd) = try parseBody(until: ["endfor"])
                try requireEnd(elseEnd, "endfor", opener: tag)
                otherwise = elseBody
            }
            try expectBlockEnd()
            return .loop(JinjaLoop(variables: variables, iterable: iterable, filter: filter, body: body, otherwise: otherwise))
        case "set":
            let first = try expectName()
            if current.kind == .blockEnd {
                _ = next()
                let (body, end) = try parseBody(until: ["endset"])
                try requireEnd(end, "endset", opener: tag)
                try expectBlockEnd()
                return .assignBlock(name: first, body: body)
            }
            var targets: [JinjaAssignTarget]
            if isOp(".") {
                _ = next(); targets = [.attribute(object: first, attribute: try expectName())]
            } else {
                targets = [.name(first)]
                while isOp(",") { _ = next(); targets.append(.name(try expectName())) }
            }
            try expectOp("=")
            let value = try parseTupleOrExpression()
            try expectBlockEnd()
            return .assign(targets: targets, value: value)
        case "macro":
            let name = try expectName()
            try expectOp("(")
            var parameters: [(name: String, defaultValue: JinjaExpression?)] = []
            while !isOp(")") {
                if !parameters.isEmpty { try expectOp(",") }
                if isOp(")") { break }
                let pname = try expectName()
                var defaultValue: JinjaExpression?
                if isOp("=") { _ = next(); defaultValue = try parseExpression() }
                parameters.append((pname, defaultValue))
            }
            _ = next()
            try expectBlockEnd()
            let savedLoopDepth = loopDepth; loopDepth = 0
            let (body, end) = try parseBody(until: ["endmacro"])
            loopDepth = savedLoopDepth
            try requireEnd(end, "endmacro", opener: tag)
            if case .name = current.kind { _ = next() }
            try expectBlockEnd()
            return .macro(MacroDefinition(name: name, parameters: parameters, body: body))
        case "break", "continue":
            guard loopDepth > 0 else { throw error("'\(keyword)' outside a for loop", tag) }
            try expectBlockEnd()
            return keyword == "break" ? .breakLoop : .continueLoop
        case "generation":
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["endgeneration"])
            try requireEnd(end, "endgeneration", opener: tag)
            try expectBlockEnd()
            return .generation(body)
        case "elif", "else", "endif", "endfor", "endmacro", "endset", "endgeneration":
            throw error("unexpected '\(keyword)'", peek(-1))
        default:
            throw error("unknown tag '\(keyword)'", peek(-1))
        }
    }

    // MARK: expressions

    private func make(_ kind: JinjaExpressionKind, _ t: JinjaToken) -> JinjaExpression { JinjaExpression(kind: kind, line: t.line, column: t.column) }

    /// `a, b` without brackets is a tuple (as in `{% set a, b = ... %}` values and `{{ a, b }}`).
    private mutating func parseTupleOrExpression() throws -> JinjaExpression {
        let start = current
        let first = try parseExpression()
        guard isOp(",") else { return first }
        var items = [first]
        while isOp(",") {
            _ = next()
            if current.kind == .blockEnd || current.kind == .variableEnd { break }
            items.append(try parseExpression())
        }
        return make(.tuple(items), start)
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
            return make(.conditional(test: test, then: value, otherwise: otherwise), start)
        }
        return value
    }

    private mutating func parseOr() throws -> JinjaExpression {
        var left = try parseAnd()
        while isName("or") { let t = next(); left = make(.or(left, try parseAnd()), t) }
        return left
    }

    private mutating func parseAnd() throws -> JinjaExpression {
        var left = try parseNot()
        while isName("and") { let t = next(); left = make(.and(left, try parseNot()), t) }
        return left
    }

    private mutating func parseNot() throws -> JinjaExpression {
        if isName("not") { let t = next(); return make(.unary("not", try parseNot()), t) }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> JinjaExpression {
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
            comparisons.append(make(.binary(op, operand, right), t))
            operand = right
        }
        guard var result = comparisons.first else { return left }
        for c in comparisons.dropFirst() { result = JinjaExpression(kind: .and(result, c), line: c.line, column: c.column) }
        return result
    }

    private mutating func parseMath1() throws -> JinjaExpression {
        var left = try parseConcat()
        while isOp("+") || isOp("-") {
            let t = next(); guard case .op(let o) = t.kind else { break }
            left = make(.binary(o, left, try parseConcat()), t)
        }
        return left
    }

    private mutating func parseConcat() throws -> JinjaExpression {
        var left = try parseMath2()
        while isOp("~") { let t = next(); left = make(.binary("~", left, try parseMath2()), t) }
        return left
    }

    private mutating func parseMath2() throws -> JinjaExpression {
        var left = try parsePow()
        while isOp("*") || isOp("/") || isOp("//") || isOp("%") {
            let t = next(); guard case .op(let o) = t.kind else { break }
            left = make(.binary(o, left, try parsePow()), t)
        }
        return left
    }

    private mutating func parsePow() throws -> JinjaExpression {
        var left = try parseUnary(withFilter: true)
        while isOp("**") { let t = next(); left = make(.binary("**", left, try parseUnary(withFilter: true)), t) }
        return left
    }

    private mutating func parseUnary(withFilter: Bool) throws -> JinjaExpression {
        let t = current
        var node: JinjaExpression
        if isOp("-") || isOp("+") {
            _ = next(); guard case .op(let o) = t.kind else { throw error("bad unary", t) }
            node = make(.unary(o, try parseUnary(withFilter: false)), t)
        } else {
            node = try parsePostfix(try parsePrimary())
        }
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }

    private mutating func parsePrimary() throws -> JinjaExpression {
        nesting += 1; defer { nesting -= 1 }
        guard nesting < Self.maxNesting else { throw error("expression nested too deeply", current) }
        let t = next()
        switch t.kind {
        case .name(let n):
            switch n {
            case "true", "True": return make(.literal(.bool(true)), t)
            case "false", "False": return make(.literal(.bool(false)), t)
            case "none", "None": return make(.literal(.none), t)
            default: return make(.name(n), t)
            }
        case .string(var s):
            while case .string(let more) = current.kind { s += more; _ = next() }
            return make(.literal(.string(s)), t)
        case .integer(let i): return make(.literal(.int(i)), t)
        case .float(let d): return make(.literal(.double(d)), t)
        case .op("("):
            if isOp(")") { _ = next(); return make(.tuple([]), t) }
            let first = try parseExpression()
            if isOp(")") { _ = next(); return first }
            var items = [first]
            while isOp(",") {
                _ = next()
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return make(.tuple(items), t)
        case .op("["):
            var items: [JinjaExpression] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(","); if isOp("]") { break } }
                items.append(try parseExpression())
            }
            _ = next()
            return make(.list(items), t)
        case .op("{"):
            var pairs: [(JinjaExpression, JinjaExpression)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(","); if isOp("}") { break } }
                let k = try parseExpression()
                try expectOp(":")
                pairs.append((k, try parseExpression()))
            }
            _ = next()
            return make(.dict(pairs), t)
        default:
            throw error("unexpected \(describe(t)) in expression", t)
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpression) throws -> JinjaExpression {
        var node = base
        while true {
            let t = current
            if isOp(".") {
                _ = next()
                switch current.kind {
                case .name(let n): _ = next(); node = make(.attribute(node, n), t)
                case .integer(let i): _ = next(); node = make(.index(node, make(.literal(.int(i)), t)), t)
                default: throw error("expected an attribute name after '.', found \(describe(current))", current)
                }
            } else if isOp("[") {
                _ = next()
                node = try parseSubscript(node, at: t)
            } else if isOp("(") {
                node = JinjaExpression(kind: .call(node, try parseCallArguments()), line: node.line, column: node.column)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ object: JinjaExpression, at t: JinjaToken) throws -> JinjaExpression {
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
            return make(.index(object, index), t)
        }
        guard parts.count <= 3 else { throw error("too many ':' in slice", t) }
        return make(.slice(object, start: parts[0], stop: parts.count > 1 ? parts[1] : nil, step: parts.count > 2 ? parts[2] : nil), t)
    }

    private mutating func parseCallArguments() throws -> JinjaCallArguments {
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

    private mutating func parseFilterExpression(_ base: JinjaExpression) throws -> JinjaExpression {
        var node = base
        while true {
            let t = current
            if isOp("|") {
                _ = next()
                var name = try expectName()
                while isOp(".") { _ = next(); name += "." + (try expectName()) }
                let args = isOp("(") ? try parseCallArguments() : JinjaCallArguments()
                node = make(.filter(node, name: name, args), t)
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
                node = make(.test(node, name: name, args, negated: negated), t)
            } else if isOp("(") {
                node = make(.call(node, try parseCallArguments()), t)
            } else {
                return node
            }
        }
    }

    /// jinja2 lets a test take one argument without parentheses (`x is divisibleby 3`).
    private func startsTestArgument() -> Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and", "if", "in", "not", "is"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "[" || o == "{"
        default: return false
        }
    }
}
