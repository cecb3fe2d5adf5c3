/// The parsed template: statements and expressions, each expression carrying its position so
/// rendering errors name the line and column.
indirect enum JinjaStatement: Sendable {
    case text(String)
    case output(JinjaExpression)
    case conditional(branches: [JinjaBranch], otherwise: [JinjaStatement])
    case loop(JinjaLoop)
    case assign(targets: [JinjaAssignTarget], value: JinjaExpression)
    case assignBlock(name: String, body: [JinjaStatement])
    case macro(MacroDefinition)
    case breakLoop
    case continueLoop
    /// HF's `{% generation %}` marker: renders its body unchanged.
    case generation([JinjaStatement])
}

struct JinjaBranch: Sendable {
    let condition: JinjaExpression
    let body: [JinjaStatement]
}

struct JinjaLoop: Sendable {
    let variables: [String]
    let iterable: JinjaExpression
    let filter: JinjaExpression?
    let body: [JinjaStatement]
    let otherwise: [JinjaStatement]
}

enum JinjaAssignTarget: Sendable {
    case name(String)
    case attribute(object: String, attribute: String)
}

/// A `{% macro name(a, b=default) %}` definition.
public struct MacroDefinition: Sendable {
    let name: String
    let parameters: [(name: String, defaultValue: JinjaExpression?)]
    let body: [JinjaStatement]
}

struct JinjaExpression: Sendable {
    let kind: JinjaExpressionKind
    let line: Int
    let column: Int
    /// Height of the expression tree; the parser caps it so evaluation cannot overflow the stack
    /// (a chain like `1 + 1 + ... + 1` nests without parentheses).
    let depth: Int

    init(kind: JinjaExpressionKind, line: Int, column: Int) {
        self.kind = kind; self.line = line; self.column = column
        self.depth = 1 + (kind.children.map(\.depth).max() ?? 0)
    }
}

extension JinjaExpressionKind {
    /// Direct sub-expressions.
    var children: [JinjaExpression] {
        switch self {
        case .literal, .name: return []
        case .list(let items), .tuple(let items): return items
        case .dict(let pairs): return pairs.flatMap { [$0.0, $0.1] }
        case .attribute(let o, _): return [o]
        case .index(let o, let i): return [o, i]
        case .slice(let o, let a, let b, let c): return [o] + [a, b, c].compactMap { $0 }
        case .call(let f, let args): return [f] + args.positional + args.keyword.map(\.1)
        case .filter(let v, _, let args), .test(let v, _, let args, _): return [v] + args.positional + args.keyword.map(\.1)
        case .unary(_, let v): return [v]
        case .binary(_, let a, let b), .and(let a, let b), .or(let a, let b): return [a, b]
        case .conditional(let t, let a, let b): return [t, a] + (b.map { [$0] } ?? [])
        }
    }
}

enum JinjaLiteral: Sendable {
    case none, bool(Bool), int(Int), double(Double), string(String)
}

struct JinjaCallArguments: Sendable {
    var positional: [JinjaExpression] = []
    var keyword: [(String, JinjaExpression)] = []
}

indirect enum JinjaExpressionKind: Sendable {
    case literal(JinjaLiteral)
    case name(String)
    case list([JinjaExpression])
    case tuple([JinjaExpression])
    case dict([(JinjaExpression, JinjaExpression)])
    case attribute(JinjaExpression, String)
    case index(JinjaExpression, JinjaExpression)
    case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
    case call(JinjaExpression, JinjaCallArguments)
    case filter(JinjaExpression, name: String, JinjaCallArguments)
    case test(JinjaExpression, name: String, JinjaCallArguments, negated: Bool)
    case unary(String, JinjaExpression)
    case binary(String, JinjaExpression, JinjaExpression)
    case and(JinjaExpression, JinjaExpression)
    case or(JinjaExpression, JinjaExpression)
    case conditional(test: JinjaExpression, then: JinjaExpression, otherwise: JinjaExpression?)
}
