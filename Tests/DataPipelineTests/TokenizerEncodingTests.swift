import Foundation
import Testing
@testable import DataPipeline

/// Encoding behaviour that the golden cases do not reach: the heap merge against tiktoken's
/// linear rescan, Kimi's 400,000-scalar windows, training, and unknown ids.
@Suite struct TokenizerEncodingTests {
    static let sample = """
    The tokenizer learns merges from this text. Tokenizers tokenize tokens; the token table grows.
    中文文本也在这里。日本語の文章もここにあります。 Numbers 12345 and code: let x = f(y) + 42;
    """

    @Test func heapMergeEqualsLinearMerge() throws {
        let tokens = BPETrainer(targetVocabularySize: 600, minimumPairCount: 1).train(text: String(repeating: Self.sample, count: 4))
        var table = ByteRankTable()
        for (rank, t) in tokens.enumerated() { table.insert(t, rank: rank) }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(Self.sample.utf8)
        for length in [2, 3, 7, 64, 95, 96, 97, 200, 1000] {
            for _ in 0..<5 {
                let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
                var fromHeap: [Int] = [], fromLinear: [Int] = []
                bytes.withUnsafeBufferPointer { b in
                    // The whole-piece lookup is skipped by both paths for a fair comparison.
                    BytePairEncoder.encodeLinearForTesting(b, table, &fromLinear)
                    BytePairEncoder.encodeHeapForTesting(b, table, &fromHeap)
                }
                #expect(fromHeap == fromLinear, "length \(length)")
                let decoded = fromHeap.flatMap { Array(table.bytes(ofRank: $0)!) }
                #expect(decoded == bytes)
            }
        }
    }

    @Test func trainerReachesTargetAndRoundTrips() {
        let tokens = BPETrainer(targetVocabularySize: 330).train(text: String(repeating: Self.sample, count: 3))
        #expect(tokens.count == 330)
        #expect(Set(tokens).count == tokens.count, "token bytes are unique")
        #expect(tokens.prefix(256).enumerated().allSatisfy { $0.element == [UInt8($0.offset)] })
        var table = ByteRankTable()
        for (rank, t) in tokens.enumerated() { table.insert(t, rank: rank) }
        let tokenizer = TiktokenTokenizer(ranks: table, specialTokens: KimiSpecialTokens.defaults(baseCount: 330))
        let ids = tokenizer.encode(Self.sample)
        #expect(ids.count < Self.sample.utf8.count * 2 / 3, "trained merges compress the training text")
        #expect(tokenizer.decode(ids) == Self.sample)
        #expect(BPETrainer(targetVocabularySize: 330).train(text: String(repeating: Self.sample, count: 3)) == tokens, "deterministic")
    }

    @Test func trainerStopsWhenPairsRunOut() {
        #expect(BPETrainer(targetVocabularySize: 10_000).train(text: "ab ab ab").count < 300)
        #expect(BPETrainer(targetVocabularySize: 300).train(text: "").count == 256)
    }

    @Test func chunksAt400kScalars() {
        var table = ByteRankTable()
        for b in 0...255 { table.insert([UInt8(b)], rank: b) }
        table.insert(Array("ab".utf8), rank: 256)
        let tokenizer = TiktokenTokenizer(ranks: table, specialTokens: [])
        // "ab" repeated with spaces so no 25k run cut applies; the window edge falls inside a pair.
        let unit = "ab ", count = TiktokenTokenizer.maximumChunkScalars
        let text = String(String(repeating: unit, count: count / 3 + 2).unicodeScalars.dropFirst())  // starts "b ab ab ..."
        let scalars = Array(text.unicodeScalars)
        let head = String(String.UnicodeScalarView(scalars[..<count])), tail = String(String.UnicodeScalarView(scalars[count...]))
        #expect(tokenizer.encode(text) == tokenizer.encode(head) + tokenizer.encode(tail))
    }

    @Test func specialTokensCanBeOrdinaryText() {
        var table = ByteRankTable()
        for b in 0...255 { table.insert([UInt8(b)], rank: b) }
        let tokenizer = TiktokenTokenizer(ranks: table, specialTokens: KimiSpecialTokens.defaults(baseCount: 256))
        #expect(tokenizer.encode("[EOS]") == [257])
        #expect(tokenizer.encode("[EOS]", allowSpecialTokens: false) == Array("[EOS]".utf8).map(Int.init))
    }

    @Test func unknownIDs() {
        var table = ByteRankTable()
        for b in 0...255 { table.insert([UInt8(b)], rank: b) }
        let tokenizer = TiktokenTokenizer(ranks: table, specialTokens: KimiSpecialTokens.defaults(baseCount: 256))
        #expect(throws: TokenizerError.unknownTokenID(999, vocabularySize: 512)) { try tokenizer.decodeBytes([104, 999]) }
        #expect(tokenizer.decode([104, 999, -1]) == "h\u{FFFD}\u{FFFD}")
        #expect(tokenizer.decode([0xE4, 0xB8]) == "\u{FFFD}", "a character cut inside")
    }
}
