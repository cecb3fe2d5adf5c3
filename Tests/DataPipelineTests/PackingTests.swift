import DataPipeline
import Testing

@Suite("Packing")
struct PackingTests {
    /// Example k has `length` tokens with ids k*100+t, trained from position 1 on.
    func example(_ k: Int, length: Int, trainedFrom: Int = 1) -> LabeledExample {
        let ids = (0..<length).map { Int32(k * 100 + $0) }
        var e = LabeledExample(untrained: ids)
        e.train(min(trainedFrom, length)..<length)
        return e
    }

    @Test("packing: next-fit windows, positions restart, segments separate, first label of each example ignored",
          arguments: [1, 2, 3, 7, 8, 9, 64])
    func packs(cutoff: Int) {
        let lengths = [3, 5, 2, 7, 1, 4, 9, 2]
        let examples = lengths.enumerated().map { example($0.offset, length: $0.element) }
        let (batches, summary) = SequencePacker(cutoffLength: cutoff, packing: true, overlong: .truncate).pack(examples)
        #expect(batches.allSatisfy { $0.count <= cutoff && $0.count > 0 })
        #expect(summary.examplesIn == lengths.count)
        #expect(summary.examplesPacked + summary.droppedUntrained == lengths.count)
        #expect(summary.truncated == lengths.filter { $0 > cutoff }.count)
        var seen: [Int32] = []
        for batch in batches {
            #expect(batch.inputIds.count == batch.positions.count && batch.labels.count == batch.segmentIds.count)
            for (s, range) in batch.segmentRanges.enumerated() {
                #expect(batch.positions[range] == ArraySlice((0..<Int32(range.count)).map { $0 }))
                #expect(batch.segmentIds[range].allSatisfy { $0 == Int32(s) })
                #expect(batch.labels[range.lowerBound] == LabeledExample.ignoreLabel)
                for t in range.dropFirst() { #expect(batch.labels[t] == batch.inputIds[t]) }
                seen.append(batch.inputIds[range.lowerBound] / 100)
            }
        }
        // Order kept; single-token (after truncation) examples have nothing to train and are dropped.
        let kept = lengths.enumerated().filter { min($0.element, cutoff) > 1 }.map { Int32($0.offset) }
        #expect(seen == kept)
        #expect(summary.droppedUntrained == lengths.count - kept.count)
        // Next-fit: each window but the last is closed only because the next example did not fit.
        for i in 0..<max(0, batches.count - 1) {
            let next = min(lengths[Int(batches[i + 1].inputIds[0] / 100)], cutoff)
            #expect(batches[i].count + next > cutoff)
        }
    }

    @Test("without packing each example is its own sequence")
    func unpacked() {
        let (batches, summary) = SequencePacker(cutoffLength: 100, packing: false).pack([example(0, length: 3), example(1, length: 4)])
        #expect(batches.map(\.count) == [3, 4] && batches.allSatisfy { $0.exampleCount == 1 })
        #expect(summary.windows == 2 && summary.unusedSlots == 0 && summary.tokens == 7 && summary.trainedTokens == 5)
    }

    @Test("over-long policy: drop counts and leaves out; truncate keeps the head; untrained leftovers dropped")
    func overlong() {
        let examples = [example(0, length: 10), example(1, length: 10, trainedFrom: 8), example(2, length: 3)]
        let (dropped, d) = SequencePacker(cutoffLength: 5, packing: true, overlong: .drop).pack(examples)
        #expect(d.droppedOverlong == 2 && dropped.count == 1 && dropped[0].inputIds == [200, 201, 202])
        let (kept, k) = SequencePacker(cutoffLength: 5, packing: true, overlong: .truncate).pack(examples)
        #expect(k.truncated == 2 && k.droppedUntrained == 1)
        #expect(kept.map(\.inputIds) == [[0, 1, 2, 3, 4], [200, 201, 202]])
        #expect(k.line.contains("1 without trained tokens dropped"))
    }

    @Test("empty input gives no batches")
    func empty() {
        let (batches, summary) = SequencePacker(cutoffLength: 8, packing: true).pack([])
        #expect(batches.isEmpty && summary.windows == 0 && PackedSequence().segmentRanges.isEmpty)
    }
}
