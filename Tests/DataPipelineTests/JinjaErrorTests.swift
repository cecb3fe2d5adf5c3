import Testing
import Storage
@testable import DataPipeline

@Suite("Jinja errors and sandbox caps")
struct JinjaErrorTests {
    /// Parses and renders, returning the error thrown.
    func failure(_ source: String, limits: JinjaLimits = JinjaLimits(), _ context: [String: JinjaValue] = [:]) -> JinjaError? {
        do {
            _ = try JinjaTemplate(source, limits: limits).render(context)
            return nil
        } catch let e as JinjaError { return e } catch { return nil }
    }

    @Test("malformed templates are syntax errors at the right line and column", arguments: [
        ("{% if x %}\nno end", 1, 1, "endif"),
        ("ok\n  {% for x in y %}{{ x }}", 2, 3, "endfor"),
        ("{{ x ", 1, 1, "unclosed"),
        ("a\n{# comment", 2, 1, "comment"),
        ("{% frobnicate %}", 1, 4, "unknown tag"),
        ("{{ 1 + }}", 1, 8, "unexpected"),
        ("{{ 'abc }}", 1, 4, "unterminated"),
        ("{% endif %}", 1, 4, "unexpected 'endif'"),
        ("{% break %}", 1, 1, "outside a for loop"),
        ("{{ a[1:2:3:4] }}", 1, 5, "slice"),
        ("{% set x %}", 1, 1, "endset"),
        ("{% macro m( %}{% endmacro %}", 1, 13, "expected"),
        ("line\n\n  {{ x $ y }}", 3, 8, "unexpected character"),
        ("a {% raw %}{{ x }}", 1, 3, "endraw"),
    ])
    func syntaxErrors(source: String, line: Int, column: Int, fragment: String) {
        guard case .syntax(let message, let l, let c)? = failure(source) else {
            Issue.record("\(source.debugDescription) did not fail with a syntax error: \(String(describing: failure(source)))")
            return
        }
        #expect(l == line && c == column, "\(source.debugDescription): got \(l):\(c) \(message)")
        #expect(message.contains(fragment), "\(source.debugDescription): \(message)")
    }

    @Test("runtime errors name the expression's position")
    func runtimeErrors() {
        let cases: [(String, Int, Int, String)] = [
            ("x\n{{ 1 | nosuchfilter }}", 2, 6, "no filter named 'nosuchfilter'"),
            ("{{ 1 is nosuchtest }}", 1, 6, "no test named"),
            ("{{ missing.attr }}", 1, 11, "'missing' is undefined"),
            ("{{ 1 + 'a' }}", 1, 6, "unsupported operand"),
            ("{% for x in 5 %}{% endfor %}", 1, 13, "not iterable"),
            ("{{ none() }}", 1, 4, "not callable"),
            ("{{ 1 // 0 }}", 1, 6, "division"),
        ]
        for (source, line, column, fragment) in cases {
            guard case .runtime(let message, let l, let c)? = failure(source) else {
                Issue.record("\(source.debugDescription) did not fail at runtime: \(String(describing: failure(source)))")
                continue
            }
            #expect(l == line && c == column && message.contains(fragment), "\(source.debugDescription): got \(l):\(c) \(message)")
        }
    }

    @Test("raise_exception carries the template's message and position")
    func raiseException() {
        guard case .raised(let message, let l, let c)? = failure("\n  {{ raise_exception('Roles must alternate') }}") else {
            Issue.record("raise_exception did not raise"); return
        }
        #expect(message == "Roles must alternate" && l == 2 && c == 6, "\(message) at \(l):\(c)")
    }

    @Test("caps: range length, loop iterations, macro recursion, output size")
    func caps() {
        if case .limitExceeded? = failure("{% for i in range(1000000000) %}{% endfor %}") {} else {
            Issue.record("huge range was not refused")
        }
        let loops = JinjaLimits(maxLoopIterations: 1000, maxRecursionDepth: 100, maxOutputBytes: 1 << 20)
        if case .limitExceeded(let m, _, _)? = failure("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", limits: loops) {
            #expect(m.contains("1000"), "\(m)")
        } else { Issue.record("10,000 nested iterations passed a 1,000 cap") }
        if case .limitExceeded(let m, _, _)? = failure("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}") {
            #expect(m.contains("recursion"), "\(m)")
        } else { Issue.record("unbounded macro recursion was not stopped") }
        let small = JinjaLimits(maxLoopIterations: 1_000_000, maxRecursionDepth: 100, maxOutputBytes: 10_000)
        if case .limitExceeded(let m, _, _)? = failure("{% for i in range(20000) %}xx{% endfor %}", limits: small) {
            #expect(m.contains("output"), "\(m)")
        } else { Issue.record("40 KB output passed a 10 KB cap") }
        if case .limitExceeded? = failure("{{ 'x' * 100000 }}", limits: small) {} else if case .runtime? = failure("{{ 'x' * 100000 }}", limits: small) {} else {
            Issue.record("string repetition past the output cap was not refused")
        }
    }

    @Test("deeply nested expressions are refused instead of overflowing the stack")
    func nesting() {
        let source = "{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}"
        guard case .syntax(let message, _, _)? = failure(source) else { Issue.record("deep nesting accepted"); return }
        #expect(message.contains("nested"), "\(message)")
    }

    @Test("namespace rejects underscore attributes like HF's TemplateNamespace")
    func namespaceUnderscore() {
        guard case .runtime(let message, _, _)? = failure("{% set ns = namespace(_x=1) %}") else { Issue.record("accepted"); return }
        #expect(message.contains("underscore"), "\(message)")
    }
}
