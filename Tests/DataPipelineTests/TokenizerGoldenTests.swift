import Foundation
import Storage
import Testing
@testable import DataPipeline

/// Ids must equal Python tiktoken's with the same vocabulary, Kimi's pattern, special tokens and
/// long-run splitting (fixtures from scripts/golden/make_tokenizer_fixtures.py).
@Suite struct TokenizerGoldenTests {
    static let directory = Bundle.module.url(forResource: "tokenizer", withExtension: nil, subdirectory: "Fixtures")!

    struct Case: Sendable, CustomStringConvertible {
        let text: String
        let ids: [Int]
        var description: String { text.count > 60 ? "\(text.prefix(40).debugDescription)... (\(text.unicodeScalars.count) scalars)" : text.debugDescription }
    }

    static func cases() throws -> (base: Int, cases: [Case]) {
        let data = try Data(contentsOf: directory.appendingPathComponent("cases.json"))
        let root = try JSONParser.parse([UInt8](data), source: "cases.json")
        var cases: [Case] = []
        for record in root["cases"]?.arrayValue ?? [] {
            let ids = (record["ids"]?.arrayValue ?? []).compactMap(\.intValue)
            if let text = record["text"]?.stringValue {
                cases.append(Case(text: text, ids: ids))
            } else {
                var text = ""
                for part in record["parts"]?.arrayValue ?? [] {
                    let piece = part.arrayValue![0].stringValue!, times = part.arrayValue![1].intValue!
                    text += String(repeating: piece, count: times)
                }
                cases.append(Case(text: text, ids: ids))
            }
        }
        return (root["base_vocabulary_size"]?.intValue ?? -1, cases)
    }

    @Test func fixtureLoads() throws {
        let tokenizer = try TiktokenTokenizer(directory: Self.directory)
        let (base, cases) = try Self.cases()
        #expect(tokenizer.ranks.count == base)
        #expect(tokenizer.vocabularySize == base + 256)
        #expect(tokenizer.specialTokenID("[BOS]") == base)
        #expect(tokenizer.specialTokenID("<|im_middle|>") == base + 17)
        #expect(tokenizer.specialTokenID("<|reserved_token_\(base + 5)|>") == base + 5)
        #expect(cases.count > 200)
    }

    @Test func idsMatchTiktoken() throws {
        let tokenizer = try TiktokenTokenizer(directory: Self.directory)
        var mismatches: [String] = []
        for c in try Self.cases().cases {
            let ids = tokenizer.encode(c.text)
            if ids != c.ids {
                let first = (0..<min(ids.count, c.ids.count)).first { ids[$0] != c.ids[$0] } ?? min(ids.count, c.ids.count)
                mismatches.append("\(c): first difference at id \(first) of \(c.ids.count) (got \(ids.dropFirst(first).prefix(6)), expected \(c.ids.dropFirst(first).prefix(6)))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func decodeRestoresText() throws {
        let tokenizer = try TiktokenTokenizer(directory: Self.directory)
        for c in try Self.cases().cases {
            #expect(tokenizer.decode(c.ids) == c.text, "\(c)")
            #expect(try tokenizer.decodeBytes(c.ids) == Array(c.text.utf8), "\(c)")
        }
    }
}

/// Every Unicode scalar gets the same pre-tokenizer classes as in tiktoken's regex engine
/// (`unicode-classes.json`: ranges probed from tiktoken per class). Catches Unicode-version
/// differences between Swift's property tables and Rust's, and mistakes in the Han table.
@Suite struct TokenizerUnicodeClassTests {
    @Test func classesMatchTiktokenForAllScalars() throws {
        let url = TokenizerGoldenTests.directory.appendingPathComponent("unicode-classes.json")
        let root = try JSONParser.parse([UInt8](try Data(contentsOf: url)), source: url.path)
        let bits: [(String, ScalarClass)] = [("han", .han), ("letter", .letter), ("number", .number), ("whitespace", .whitespace),
                                              ("upperish", .upperish), ("lowerish", .lowerish)]
        for (name, bit) in bits {
            var expected = [Bool](repeating: false, count: 0x110000)
            for range in root[name]?.arrayValue ?? [] {
                let bounds = range.arrayValue!.compactMap(\.intValue)
                for v in bounds[0]...bounds[1] { expected[v] = true }
            }
            var differing: [String] = []
            var count = 0
            for v in 0..<0x110000 where !(0xD800..<0xE000).contains(v) {
                let actual = ScalarClassifier.classify(UInt32(v)).contains(bit)
                if actual != expected[v] {
                    count += 1
                    if differing.count < 8 { differing.append("U+\(String(v, radix: 16, uppercase: true)) swift=\(actual)") }
                }
            }
            #expect(count == 0, "\(name): \(count) scalars differ from tiktoken, e.g. \(differing.joined(separator: ", "))")
        }
    }
}
