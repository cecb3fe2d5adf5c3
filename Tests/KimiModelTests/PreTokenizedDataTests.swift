import Foundation
import KimiModel
import Testing

@Suite struct PreTokenizedDataTests {
    static func parse(_ text: String) throws -> PreTokenizedData {
        try PreTokenizedData(bytes: Array(text.utf8), file: "data.jsonl")
    }

    @Test func readsIdsLabelsAndSkipsBlankLines() throws {
        let data = try Self.parse("{\"input_ids\": [1, 2, 3]}\n\n  \r\n{\"input_ids\": [4, 5], \"labels\": [-100, 5]}\n")
        #expect(data.sequences.count == 2)
        #expect(data.sequences[0] == .init(inputIds: [1, 2, 3], labels: nil, line: 1))
        #expect(data.sequences[1] == .init(inputIds: [4, 5], labels: [-100, 5], line: 4))
    }

    @Test(arguments: [
        ("", "data.jsonl: no sequences (the file is empty)"),
        ("\n \n", "data.jsonl: no sequences (the file is empty)"),
        ("{\"input_ids\": [1]}\n[1, 2]", "data.jsonl:2: expected a JSON object {\"input_ids\": [...], \"labels\": [...]}"),
        ("{\"labels\": [1]}", "data.jsonl:1: missing 'input_ids'"),
        ("{\"input_ids\": []}", "data.jsonl:1: 'input_ids' is empty"),
        ("{\"input_ids\": [1, 2.5]}", "data.jsonl:1: 'input_ids'[1] is not an integer"),
        ("{\"input_ids\": \"1 2\"}", "data.jsonl:1: 'input_ids' must be an array of integers"),
        ("{\"input_ids\": [1, 2], \"labels\": [1]}", "data.jsonl:1: 'labels' has 1 entries but 'input_ids' has 2"),
    ])
    func malformedInputIsATypedError(text: String, message: String) {
        #expect(throws: PreTokenizedDataError.self) { try Self.parse(text) }
        do {
            _ = try Self.parse(text)
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func invalidJSONNamesTheLine() {
        do {
            _ = try Self.parse("{\"input_ids\": [1]}\n{\"input_ids\": [1,}\n")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("data.jsonl:2"), "\(error)")
        }
    }
}
