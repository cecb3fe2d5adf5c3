import Foundation

/// A variable scope. `for` bodies and macro calls get a child scope, so `set` inside them does not
/// leak out (jinja2's rule, and the reason templates use `namespace`); `if` shares its parent's.
public final class JinjaScope {
    private var variables: [String: JinjaValue] = [:]
    let parent: JinjaScope?

    init(parent: JinjaScope?) { self.parent = parent }

    func lookup(_ name: String) -> JinjaValue? {
        var scope: JinjaScope? = self
        while let s = scope {
            if let v = s.variables[name] { return v }
            scope = s.parent
        }
        return nil
    }

    func set(_ name: String, _ value: JinjaValue) { variables[name] = value }
}

/// Sandbox caps: rendering a template from the Hub must not hang or exhaust memory.
public struct JinjaLimits: Sendable {
    public var maxLoopIterations: Int
    public var maxRecursionDepth: Int
    public var maxOutputBytes: Int

    public init(maxLoopIterations: Int = 1_000_000, maxRecursionDepth: Int = 100, maxOutputBytes: Int = 64 << 20) {
        self.maxLoopIterations = maxLoopIterations
        self.maxRecursionDepth = maxRecursionDepth
        self.maxOutputBytes = maxOutputBytes
    }
}

/// Executes statements into an output string. One interpreter per render.
final class JinjaInterpreter {
    enum Flow { case normal, breakLoop, continueLoop }

    let limits: JinjaLimits
    var output = ""
    private var totalOutputBytes = 0
    private var iterations = 0
    var depth = 0

    /// What `strftime_now` reads.
    let clock: @Sendable () -> Date

    init(limits: JinjaLimits, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.limits = limits
        self.clock = clock
    }

    func limitError(_ message: String, _ e: JinjaExpression) -> JinjaError {
        .limitExceeded(message: message, line: e.line, column: e.column)
    }

    func emit(_ text: String, at e: JinjaExpression?) throws {
        totalOutputBytes += text.utf8.count
        if totalOutputBytes > limits.maxOutputBytes {
            throw JinjaError.limitExceeded(message: "output larger than \(limits.maxOutputBytes) bytes", line: e?.line ?? 0, column: e?.column ?? 0)
        }
        output += text
    }

    func countIteration(_ e: JinjaExpression) throws {
        iterations += 1
        if iterations > limits.maxLoopIterations { throw limitError("more than \(limits.maxLoopIterations) loop iterations", e) }
    }

    func execute(_ statements: [JinjaStatement], in scope: JinjaScope) throws -> Flow {
        for statement in statements {
            let flow = try execute(statement, in: scope)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ statement: JinjaStatement, in scope: JinjaScope) throws -> Flow {
        switch statement {
        case .text(let s):
            try emit(s, at: nil)
        case .output(let e):
            try emit(try evaluate(e, in: scope).pythonString, at: e)
        case .conditional(let branches, let otherwise):
            for branch in branches where try evaluate(branch.condition, in: scope).isTruthy {
                return try execute(branch.body, in: scope)
            }
            return try execute(otherwise, in: scope)
        case .loop(let loop):
            return try executeLoop(loop, in: scope)
        case .assign(let targets, let valueExpression):
            let value = try evaluate(valueExpression, in: scope)
            if targets.count == 1 {
                switch targets[0] {
                case .name(let n): scope.set(n, value)
                case .attribute(let object, let attribute):
                    guard case .namespace(let ns) = scope.lookup(object) ?? .undefined(hint: "") else {
                        throw JinjaError.runtime(message: "cannot assign attribute on non-namespace object '\(object)'", line: valueExpression.line, column: valueExpression.column)
                    }
                    ns.attributes[.string(attribute)] = value
                }
            } else {
                let items = try wrap(valueExpression) { try self.iterate(value) }
                guard items.count == targets.count else {
                    throw JinjaError.runtime(message: "cannot unpack \(items.count) values into \(targets.count) names", line: valueExpression.line, column: valueExpression.column)
                }
                for (t, v) in zip(targets, items) { if case .name(let n) = t { scope.set(n, v) } }
            }
        case .assignBlock(let name, let body):
            let text = try capture { _ = try self.execute(body, in: scope) }
            scope.set(name, .string(text))
        case .macro(let definition):
            scope.set(definition.name, .macro(JinjaMacro(definition: definition, closure: scope)))
        case .breakLoop: return .breakLoop
        case .continueLoop: return .continueLoop
        case .generation(let body):
            return try execute(body, in: scope)
        }
        return .normal
    }

    /// Runs `body` with a fresh output buffer and returns what it wrote.
    func capture(_ body: () throws -> Void) throws -> String {
        let saved = output
        output = ""
        defer { output = saved }
        try body()
        return output
    }

    private func executeLoop(_ loop: JinjaLoop, in scope: JinjaScope) throws -> Flow {
        let iterable = try evaluate(loop.iterable, in: scope)
        var items = try wrap(loop.iterable) { try self.iterate(iterable) }
        let loopScope = JinjaScope(parent: scope)
        if let filter = loop.filter {
            items = try items.filter { item in
                try bindLoopVariables(loop, item, in: loopScope)
                return try evaluate(filter, in: loopScope).isTruthy
            }
        }
        if items.isEmpty { return try execute(loop.otherwise, in: scope) }
        let count = items.count
        for (index, item) in items.enumerated() {
            try countIteration(loop.iterable)
            let iterationScope = JinjaScope(parent: scope)
            try bindLoopVariables(loop, item, in: iterationScope)
            var info = JinjaDictionary()
            info["index"] = .int(index + 1); info["index0"] = .int(index)
            info["revindex"] = .int(count - index); info["revindex0"] = .int(count - index - 1)
            info["first"] = .bool(index == 0); info["last"] = .bool(index == count - 1)
            info["length"] = .int(count); info["depth"] = .int(1); info["depth0"] = .int(0)
            info["previtem"] = index > 0 ? items[index - 1] : .undefined(hint: "there is no previous item")
            info["nextitem"] = index < count - 1 ? items[index + 1] : .undefined(hint: "there is no next item")
            info["cycle"] = .function(JinjaFunction(name: "cycle") { args in
                guard !args.positional.isEmpty else { throw JinjaFailure("no items for cycling given") }
                return args.positional[index % args.positional.count]
            })
            iterationScope.set("loop", .dict(info))
            let flow = try execute(loop.body, in: iterationScope)
            if flow == .breakLoop { break }
        }
        return .normal
    }

    private func bindLoopVariables(_ loop: JinjaLoop, _ item: JinjaValue, in scope: JinjaScope) throws {
        if loop.variables.count == 1 { scope.set(loop.variables[0], item); return }
        let parts = try wrap(loop.iterable) { try self.iterate(item) }
        guard parts.count == loop.variables.count else {
            throw JinjaError.runtime(message: "cannot unpack \(parts.count) values into \(loop.variables.count) loop variables",
                                     line: loop.iterable.line, column: loop.iterable.column)
        }
        for (n, v) in zip(loop.variables, parts) { scope.set(n, v) }
    }

    /// Python iteration: list items, dict keys, string characters; Undefined iterates as empty.
    func iterate(_ value: JinjaValue) throws -> [JinjaValue] {
        switch value {
        case .list(let a), .tuple(let a): return a
        case .dict(let d): return d.keys
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        case .namespace(let n): return n.attributes.keys
        default: throw JinjaFailure("'\(value.typeName)' object is not iterable")
        }
    }

    /// Attaches the expression's position to failures from helpers.
    func wrap<T>(_ e: JinjaExpression, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let f as JinjaFailure {
            throw JinjaError.runtime(message: f.message, line: e.line, column: e.column)
        }
    }

    /// Calls a macro: binds arguments in a child of its defining scope and returns the rendered body.
    func callMacro(_ macro: JinjaMacro, _ args: JinjaArguments, at e: JinjaExpression) throws -> JinjaValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= limits.maxRecursionDepth else { throw limitError("macro recursion deeper than \(limits.maxRecursionDepth)", e) }
        let definition = macro.definition
        guard args.positional.count <= definition.parameters.count else {
            throw JinjaError.runtime(message: "macro '\(definition.name)' takes \(definition.parameters.count) arguments, got \(args.positional.count)", line: e.line, column: e.column)
        }
        let scope = JinjaScope(parent: macro.closure)
        for (i, parameter) in definition.parameters.enumerated() {
            if let v = args.value(i, parameter.name) { scope.set(parameter.name, v) }
            else if let d = parameter.defaultValue { scope.set(parameter.name, try evaluate(d, in: scope)) }
            else { scope.set(parameter.name, .undefined(hint: "parameter '\(parameter.name)' was not provided")) }
        }
        for (name, _) in args.keyword where !definition.parameters.contains(where: { $0.name == name }) {
            throw JinjaError.runtime(message: "macro '\(definition.name)' has no parameter named '\(name)'", line: e.line, column: e.column)
        }
        let text = try capture { _ = try self.execute(definition.body, in: scope) }
        return .string(text)
    }
}
