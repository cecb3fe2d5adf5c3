import Foundation
import Testing
import Storage
@testable import DataPipeline

/// Loads a fixture under Fixtures/templates/.
func templateFixture(_ name: String) throws -> URL {
    let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
    guard let url = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures/templates") else {
        throw FixtureMissing(name: name)
    }
    return url
}

struct FixtureMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "fixture \(name) not found in the test bundle" }
}

func loadJSONFixture(_ name: String) throws -> JSONObject {
    let text = try String(contentsOf: try templateFixture(name), encoding: .utf8)
    guard case .object(let o) = try JSONParser.parse(text, source: name) else { throw FixtureMissing(name: name) }
    return o
}

/// The first position where two strings differ, for readable failures.
func firstDifference(_ a: String, _ b: String) -> String {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    var i = 0
    while i < min(x.count, y.count) && x[i] == y[i] { i += 1 }
    func around(_ s: [Unicode.Scalar]) -> String {
        var out = ""; out.unicodeScalars.append(contentsOf: s[max(0, i - 30)..<min(s.count, i + 30)]); return out.debugDescription
    }
    return "first difference at scalar \(i): got \(around(x)) expected \(around(y))"
}

@Suite("Jinja engine against jinja2 in HF's environment")
struct JinjaGoldenTests {
    @Test("every engine case renders byte for byte as jinja2, or fails where jinja2 fails")
    func engineCases() throws {
        let fixture = try loadJSONFixture("jinja_cases.json")
        let cases = try #require(fixture["cases"]?.arrayValue)
        #expect(cases.count >= 30)
        for (index, entry) in cases.enumerated() {
            let source = try #require(entry["template"]?.stringValue)
            let context = entry["context"]?.objectValue ?? JSONObject()
            let result: Result<String, Error> = Result { try JinjaTemplate(source).render(json: context) }
            if let expected = entry["expected"]?.stringValue {
                switch result {
                case .success(let text):
                    #expect(text == expected, "case \(index) \(source.debugDescription): \(firstDifference(text, expected))")
                case .failure(let error):
                    Issue.record("case \(index) \(source.debugDescription) failed: \(error)")
                }
            } else {
                if case .success(let text) = result {
                    Issue.record("case \(index) \(source.debugDescription) rendered \(text.debugDescription); jinja2 raised \(entry["error"]?.stringValue ?? "")")
                }
            }
        }
    }
}
