import Foundation
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

    @Test("long operator chains are refused at parse time")
    func longChains() {
        let source = "{{ " + Array(repeating: "1", count: 3000).joined(separator: " + ") + " }}"
        guard case .syntax(let message, _, _)? = failure(source) else { Issue.record("3000-term chain accepted"); return }
        #expect(message.contains("nested"), "\(message)")
    }

    @Test("nesting just under the caps renders; past them is a syntax error")
    func nestingCaps() throws {
        let chain = "{{ " + Array(repeating: "1", count: 99).joined(separator: " + ") + " }}"
        #expect(try JinjaTemplate(chain).render([:]) == "99")
        let blocks = { (n: Int) in String(repeating: "{% if true %}", count: n) + "x" + String(repeating: "{% endif %}", count: n) }
        #expect(try JinjaTemplate(blocks(90)).render([:]) == "x")
        guard case .syntax(let message, _, _)? = failure(blocks(150)) else { Issue.record("150 nested blocks accepted"); return }
        #expect(message.contains("nested"), "\(message)")
    }

    @Test("integer edge cases fail with errors instead of trapping", arguments: [
        "{{ 1e20 | int }}", "{{ '1e300' | int }}", "{{ 'ab' * 9223372036854775807 }}", "{{ [1] * 9223372036854775807 }}",
        "{{ -(-9223372036854775807 - 1) }}", "{{ (-9223372036854775807 - 1) // -1 }}", "{{ (-9223372036854775807 - 1) | abs }}",
        "{{ 9223372036854775807 + 1 }}", "{{ 3 ** 100 }}", "{{ '%d' % 1e30 }}",
    ])
    func integerEdges(source: String) {
        #expect(failure(source) != nil, "\(source) rendered without an error")
    }

    @Test("ranges with extreme bounds are measured without overflow")
    func extremeRanges() throws {
        if case .limitExceeded? = failure("{{ range(-9223372036854775807, 9223372036854775807) | length }}") {} else {
            Issue.record("extreme range was not refused")
        }
        let text = try JinjaTemplate("{{ range(9223372036854775800, 9223372036854775807, 3) | list }}").render([:])
        #expect(text == "[9223372036854775800, 9223372036854775803, 9223372036854775806]", "\(text)")
    }

    @Test("namespace rejects underscore attributes like HF's TemplateNamespace")
    func namespaceUnderscore() {
        guard case .runtime(let message, _, _)? = failure("{% set ns = namespace(_x=1) %}") else { Issue.record("accepted"); return }
        #expect(message.contains("underscore"), "\(message)")
    }
}

@Suite("Jinja globals")
struct JinjaGlobalsTests {
    @Test("strftime_now formats the template's clock in local time")
    func strftimeNow() throws {
        var template = try JinjaTemplate("{{ strftime_now('%Y-%m-%d %H:%M') }}")
        let date = Date(timeIntervalSince1970: 1_721_995_200)   // 2024-07-26 12:00 UTC
        template.clock = { date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        #expect(try template.render([:]) == formatter.string(from: date))
    }
}
