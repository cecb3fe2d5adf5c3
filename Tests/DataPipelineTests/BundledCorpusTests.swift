import Foundation
import Testing
@testable import DataPipeline

@Suite struct BundledCorpusTests {
    @Test func bundledCorpusEqualsTheSampleDataFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var joined = ""
        for file in BundledTokenizerCorpus.sourceFiles {
            joined += try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        }
        // The raw string drops the last file's final newline.
        #expect(BundledTokenizerCorpus.text + "\n" == joined, "run scripts/generate-bundled-corpus.sh after editing recipes/data")
    }

    @Test func trainedVocabularyReachesTheTinySizeAndEncodesRoundTrip() throws {
        let tokens = BPETrainer(targetVocabularySize: 512).train(text: BundledTokenizerCorpus.text)
        #expect(tokens.count == 512)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let vocabulary = try TokenizerFiles.write(tokens: tokens, chatTemplate: nil, to: dir)
        #expect(vocabulary == 512 + 256)
        let tokenizer = try TiktokenTokenizer(directory: dir)
        let text = "The capital of Australia is Canberra. 你好<|im_end|>"
        let ids = tokenizer.encode(text)
        #expect(tokenizer.decode(ids) == text)
        #expect(ids.contains(512 + 2))  // <|im_end|> right after the base ranks
        #expect(ids.count < text.utf8.count)  // merges were learned
    }

    @Test func paddingKeepsTrainedRanksAndReachesTheExactSize() {
        let trained = BPETrainer(targetVocabularySize: 600).train(text: "abc abc abd abd abe")
        let (padded, filler) = VocabularyPadding.padded(trained, to: 1000)
        #expect(padded.count == 1000)
        #expect(Array(padded.prefix(trained.count)) == trained)
        #expect(filler == 1000 - trained.count)
        #expect(Set(padded).count == padded.count)
    }
}
