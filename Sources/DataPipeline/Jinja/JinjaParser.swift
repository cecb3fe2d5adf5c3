/// Recursive-descent parser with jinja2's grammar and operator precedence (lowest first):
/// conditional `a if b else c`, `or`, `and`, `not`, comparisons and `in`, `+ -`, `~`,
/// `* / // %`, `**`, unary `- +`, then primary with postfix `.x [i] (args)` and `|filter`/`is test`.
struct JinjaParser {
    let tokens: [JinjaToken]
    var p = 0
    var loopDepth = 0
    var nesting = 0
    static let maxNesting = 100

    init(tokens: [JinjaToken]) { self.tokens = tokens }

    mutating func parseTemplate() throws -> [JinjaStatement] {
        let (body, end) = try parseBody(until: [])
        if let end { throw error("unexpected '\(end.name)'", end.token) }
        return body
    }

    // MARK: tokens

    var current: JinjaToken { tokens[p] }
    func peek(_ n: Int = 1) -> JinjaToken { tokens[min(p + n, tokens.count - 1)] }
    mutating func next() -> JinjaToken { let t = tokens[p]; if p < tokens.count - 1 { p += 1 }; return t }

    func error(_ message: String, _ t: JinjaToken) -> JinjaError { .syntax(message: message, line: t.line, column: t.column) }

    func describe(_ t: JinjaToken) -> String {
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

    func isOp(_ op: String) -> Bool { current.kind == .op(op) }
    func isName(_ name: String) -> Bool { current.kind == .name(name) }

    mutating func expectOp(_ op: String) throws {
        guard isOp(op) else { throw error("expected '\(op)', found \(describe(current))", current) }
        _ = next()
    }

    mutating func expectName() throws -> String {
        guard case .name(let n) = current.kind else { throw error("expected a name, found \(describe(current))", current) }
        _ = next(); return n
    }

    mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw error("expected end of statement '%}', found \(describe(current))", current) }
        _ = next()
    }

    // MARK: statements

    /// Parses statements until a `{% name %}` with name in `endNames`; consumes that name and
    /// returns it (with its token), leaving the rest of that tag for the caller.
    mutating func parseBody(until endNames: Set<String>) throws -> ([JinjaStatement], (name: String, token: JinjaToken)?) {
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

    mutating func requireEnd(_ end: (name: String, token: JinjaToken)?, _ expected: String, opener: JinjaToken) throws {
        guard end != nil else { throw error("unclosed block: expected '{% \(expected) %}' before the end of the template", opener) }
    }

    mutating func parseStatement(_ keyword: String, at tag: JinjaToken) throws -> JinjaStatement {
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
}
