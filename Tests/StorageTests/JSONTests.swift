import Foundation
import Testing
@testable import Storage

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let v = try JSONParser.parse(#" {"b": 1, "a": [1.5, -2, 3e2, true, false, null], "s": "x\n\u00e9\ud83d\ude00"} "#)
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o.keys == ["b", "a", "s"])
        #expect(o["b"] == .int(1))
        #expect(o["a"] == .array([.double(1.5), .int(-2), .double(300), .bool(true), .bool(false), .null]))
        #expect(o["s"] == .string("x\né😀"))
    }

    @Test func duplicateKeysKeepLastValueInFirstPlace() throws {
        let v = try JSONParser.parse(#"{"a": 1, "b": 2, "a": 3}"#)
        #expect(v.objectValue?.keys == ["a", "b"])
        #expect(v["a"] == .int(3))
    }

    @Test(arguments: [
        ("", 1, 1, "empty input"),
        ("{", 1, 2, "end of input"),
        ("[1,]", 1, 4, "expected a value"),
        ("{\"a\" 1}", 1, 6, "expected ':'"),
        ("{\"a\": 1,}", 1, 9, "expected a string key"),
        ("[01]", 1, 3, "leading zero"),
        ("[1.]", 1, 4, "after the decimal point"),
        ("[1e]", 1, 4, "exponent"),
        ("[\"a\nb\"]", 1, 4, "control character"),
        ("[\"\\x\"]", 1, 3, "invalid escape"),
        ("[\"\\ud800\"]", 1, 9, "lone high surrogate"),
        ("[\"\\udc00\"]", 1, 9, "lone low surrogate"),
        ("[\"\\u12G4\"]", 1, 7, "invalid hex digit"),
        ("[1]\n x", 2, 2, "after the JSON value"),
        ("[tru]", 1, 2, "invalid literal"),
        ("[NaN]", 1, 2, "expected a value"),
        ("\"abc", 1, 5, "unterminated string"),
    ])
    func rejectsMalformedInputWithPosition(_ testCase: (String, Int, Int, String)) {
        let (text, line, column, fragment) = testCase
        do {
            _ = try JSONParser.parse(text, source: "bad.json")
            Issue.record("accepted \(text.debugDescription)")
        } catch let error as JSONSyntaxError {
            #expect(error.source == "bad.json")
            #expect(error.line == line && error.column == column, "\(error) for \(text.debugDescription)")
            #expect(error.message.contains(fragment), "\(error)")
            #expect(error.description.hasPrefix("bad.json:\(line):\(column): invalid JSON:"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = Array("[\"ab".utf8) + [0xFF, 0x22, 0x5D]
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bytes, source: "x") }
    }

    @Test func limitsNestingDepth() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        _ = try JSONParser.parse(ok)
    }
}

@Suite struct JSONSerializerTests {
    struct Fixture: Decodable {
        struct FloatCase: Decodable { let bits: String; let repr: String; let json: String }
        struct Document: Decodable { let source, compact, tight, indent2, ascii, sorted: String }
        let floats: [FloatCase]
        let documents: [Document]
    }

    func fixture() throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: "python-dumps", withExtension: "json", subdirectory: "Fixtures/json"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test func floatReprMatchesPython() throws {
        for c in try fixture().floats {
            let value: Double
            switch c.bits {
            case "nan": value = .nan
            case "inf": value = .infinity
            case "-inf": value = -.infinity
            default: value = try #require(Double(c.bits), "bad hex \(c.bits)")
            }
            #expect(PythonFloat.repr(value) == c.repr, "\(c.bits)")
            #expect(PythonFloat.jsonRepr(value) == c.json, "\(c.bits)")
        }
    }

    @Test func documentsMatchPythonJSONDumps() throws {
        for d in try fixture().documents {
            let value = try JSONParser.parse(d.source)
            #expect(JSONSerializer().serialize(value) == d.compact)
            #expect(JSONSerializer(separators: (",", ":")).serialize(value) == d.tight)
            #expect(JSONSerializer(indent: 2).serialize(value) == d.indent2)
            #expect(JSONSerializer(ensureASCII: true).serialize(value) == d.ascii)
            #expect(JSONSerializer(sortKeys: true).serialize(value) == d.sorted)
            // Round trip: parsing the compact output gives the same value.
            #expect(try JSONParser.parse(d.compact) == value)
        }
    }
}
