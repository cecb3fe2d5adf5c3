import Foundation
import Storage

/// A parsed Jinja template rendered in HF's chat-template environment (trim_blocks,
/// lstrip_blocks, loop controls, HF's tojson and globals), sandboxed: templates reach no files or
/// environment, and loops, recursion and output size are capped by `limits`.
public struct JinjaTemplate: Sendable {
    let statements: [JinjaStatement]
    public var limits: JinjaLimits
    /// The time `strftime_now` formats (local time, as HF's `datetime.now()`); fixed in tests so
    /// renders are reproducible.
    public var clock: @Sendable () -> Date = { Date() }

    /// Parses `source`; throws `JinjaError.syntax` with line and column on malformed templates.
    public init(_ source: String, limits: JinjaLimits = JinjaLimits()) throws {
        var lexer = JinjaLexer(source: source)
        var parser = JinjaParser(tokens: try lexer.tokenize())
        self.statements = try parser.parseTemplate()
        self.limits = limits
    }

    /// Renders with the given top-level variables.
    public func render(_ context: [String: JinjaValue]) throws -> String {
        let interpreter = JinjaInterpreter(limits: limits, clock: clock)
        let scope = JinjaScope(parent: nil)
        for (k, v) in context { scope.set(k, v) }
        _ = try interpreter.execute(statements, in: scope)
        return interpreter.output
    }

    /// Renders with JSON variables (their object key order is kept).
    public func render(json context: JSONObject) throws -> String {
        var values: [String: JinjaValue] = [:]
        for (k, v) in context.pairs { values[k] = JinjaValue(v) }
        return try render(values)
    }
}
