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
