import Storage
import Testing
@testable import Trainer

@Suite("YAML parser")
struct YAMLParserTests {
    private func parse(_ text: String) throws -> JSONValue { try YAMLDocument.parse(text, file: "r.yaml").value }

    /// The error a malformed document raises (nil when it parses, which the caller's #expect reports).
    private func failure(_ text: String) -> YAMLError? {
        do { _ = try YAMLDocument.parse(text, file: "r.yaml"); return nil } catch { return error }
    }

    @Test func blockMappingsWithCoreSchemaScalars() throws {
        let value = try parse("""
        # a recipe
        name: demo   # trailing comment
        rank: 8
        lr: 1e-4
        ratio: 0.1
        neg: -3
        hex: 0x1F
        octal: 0o17
        on: true
        off: False
        nothing: ~
        empty:
        text: cosine
        version: 1.2.3
        inf: .inf
        url: http://example.com/a#b
        """)
        #expect(value["name"] == .string("demo"))
        #expect(value["rank"] == .int(8))
        #expect(value["lr"] == .double(1e-4))
        #expect(value["ratio"] == .double(0.1))
        #expect(value["neg"] == .int(-3))
        #expect(value["hex"] == .int(31))
        #expect(value["octal"] == .int(15))
        #expect(value["on"] == .bool(true))
        #expect(value["off"] == .bool(false))
        #expect(value["nothing"] == .null)
        #expect(value["empty"] == .null)
        #expect(value["text"] == .string("cosine"))
        #expect(value["version"] == .string("1.2.3"))
        #expect(value["inf"] == .double(.infinity))
        #expect(value["url"] == .string("http://example.com/a#b"))
        #expect(value.objectValue?.keys == ["name", "rank", "lr", "ratio", "neg", "hex", "octal", "on", "off",
                                            "nothing", "empty", "text", "version", "inf", "url"])
    }

    @Test func nestedBlocksAndSequences() throws {
        let value = try parse("""
        model:
          path: models/tiny
          layers: [0, 1, 2]
        dataset:
        - a.jsonl
        - b.jsonl
        items:
          - name: x
            size: 1
          - name: y
            tags:
              - p
              - q
          -
            - 1
            - 2
        """)
        #expect(value["model"]?["path"] == .string("models/tiny"))
        #expect(value["model"]?["layers"] == .array([.int(0), .int(1), .int(2)]))
        #expect(value["dataset"] == .array([.string("a.jsonl"), .string("b.jsonl")]))
        let items = try #require(value["items"]?.arrayValue)
        #expect(items.count == 3)
        #expect(items[0]["name"] == .string("x"))
        #expect(items[0]["size"] == .int(1))
        #expect(items[1]["tags"] == .array([.string("p"), .string("q")]))
        #expect(items[2] == .array([.int(1), .int(2)]))
    }

    @Test func flowCollectionsOverSeveralLines() throws {
        let value = try parse("""
        targets: [q_proj, "kv b", 'o''s',  # comment inside
                  3.5, null, ]
        map: {a: 1, "b c": [x, y], d: , e: {f: true}}
        empty: []
        none: {}
        """)
        #expect(value["targets"] == .array([.string("q_proj"), .string("kv b"), .string("o's"), .double(3.5), .null]))
        let map = try #require(value["map"]?.objectValue)
        #expect(map.keys == ["a", "b c", "d", "e"])
        #expect(map["b c"] == .array([.string("x"), .string("y")]))
        #expect(map["d"] == .null)
        #expect(map["e"]?["f"] == .bool(true))
        #expect(value["empty"] == .array([]))
        #expect(value["none"] == .object(JSONObject()))
    }

    @Test func quotedStringsAndEscapes() throws {
        let value = try parse(#"""
        a: "tab\there \"q\" \u00e9 \x41 \\ \/"
        b: 'it''s # not a comment'
        c: "folded
          line"
        "quoted key": 1
        d: "true"
        e: "1e-4"
        """#)
        #expect(value["a"] == .string("tab\there \"q\" é A \\ /"))
        #expect(value["b"] == .string("it's # not a comment"))
        #expect(value["c"] == .string("folded line"))
        #expect(value["quoted key"] == .int(1))
        #expect(value["d"] == .string("true"))
        #expect(value["e"] == .string("1e-4"))
    }

    @Test func positionsAreKeptPerKey() throws {
        let doc = try YAMLDocument.parse("a: 1\n\nlist:\n  - x\n  - y\nmap:\n    inner: [1, 2]\n", file: "r.yaml")
        #expect(doc.keyPositions["a"] == SourcePosition(file: "r.yaml", line: 1, column: 1))
        #expect(doc.keyPositions["list"]?.line == 3)
        #expect(doc.keyPositions["list[1]"] == SourcePosition(file: "r.yaml", line: 5, column: 3))
        #expect(doc.keyPositions["map.inner"] == SourcePosition(file: "r.yaml", line: 7, column: 5))
        #expect(doc.valuePositions["map.inner"] == SourcePosition(file: "r.yaml", line: 7, column: 12))
        #expect(doc.valuePositions["a"] == SourcePosition(file: "r.yaml", line: 1, column: 4))
    }

    @Test func emptyAndMarkedDocuments() throws {
        #expect(try parse("") == .null)
        #expect(try parse("# only a comment\n\n") == .null)
        #expect(try parse("---\na: 1\n...\n") == .object(JSONObject([("a", .int(1))])))
        #expect(try parse("a: 1\r\nb: 2\r\n")["b"] == .int(2))
    }

    @Test(arguments: [
        ("a: 1\n  b: 2\n", 2, 3, "bad indentation"),
        ("a:\n    b: 1\n  c: 2\n", 3, 3, "bad indentation"),
        ("a: 1\n\tb: 2\n", 2, 1, "tab character"),
        ("a: [1, 2\nb: 3\n", 1, 4, "unclosed '['"),
        ("a: {x: 1\n", 1, 4, "unclosed '{'"),
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a'"),
        ("m: {x: 1, x: 2}\n", 1, 11, "duplicate key 'x'"),
        ("a: \"open\nb: 2\n", 1, 4, "unclosed double-quoted"),
        ("a: 'open\n", 1, 4, "unclosed single-quoted"),
        ("a: \"bad \\q\"\n", 1, 9, "unknown escape"),
        ("a: b: c\n", 1, 4, "mapping values are not allowed"),
        ("a: [1, {b: 2} 3]\n", 1, 15, "expected ',' or ']'"),
        ("a: &x 1\n", 1, 4, "anchors"),
        ("a: |\n  text\n", 1, 4, "block scalars"),
        ("- a\nb: 1\n", 2, 1, "less indented"),
        ("a: 1\n- b\n", 2, 1, "sequence item"),
        ("a: 1\njust text\n", 2, 1, "expected 'key: value'"),
        ("a: \"x\" y\n", 1, 8, "after the value"),
        ("a: 1\n---\nb: 2\n", 2, 1, "multiple documents"),
        ("{a: 1} x\n", 1, 8, "after the value"),
    ])
    func malformedInputNamesLineAndColumn(text: String, line: Int, column: Int, fragment: String) {
        let error = failure(text)
        #expect(error != nil, "expected an error for \(text.debugDescription)")
        guard let error else { return }
        #expect(error.position.line == line && error.position.column == column, "\(error)")
        #expect(error.message.contains(fragment), "\(error)")
        #expect(error.description.hasPrefix("r.yaml:\(error.position.line):\(error.position.column): "))
    }
}
