import KimiModel
import TestSupport
import Testing

@Suite struct TokenBatchTests {
    @Test func labelsShiftWithinSegmentsOnly() {
        let batch = TokenBatch(sequences: [([10, 11, 12], nil), ([20, 21], [-100, 21])])
        #expect(batch.positions == [0, 1, 2, 0, 1])
        #expect(batch.segmentIds == [0, 0, 0, 1, 1])
        // Position t predicts labels[t + 1] of its own segment; the last token of a segment predicts nothing.
        #expect(batch.shiftedLabels == [11, 12, -100, 21, -100])
    }

    @Test func packedSequencesDoNotSeeEachOther() throws {
        let model = try KimiModel.load(directory: try GoldenFixture.directory("qproj_yarn1_groups"))
        let a: [Int32] = [3, 1, 4, 1, 5, 9, 2, 6], b: [Int32] = [2, 7, 1, 8, 2, 8]
        let packed = try model.forward(TokenBatch(sequences: [(a, nil), (b, nil)]))
        let alone = try model.forward(TokenBatch(sequences: [(a, nil)]))
        let other = try model.forward(TokenBatch(sequences: [(b, nil)]))
        #expect(packed.count == alone.count + other.count)
        let c = closeness([packed.lossSum], [alone.lossSum + other.lossSum], absolute: 0, relative: 1e-6)
        #expect(c.passes, "packed vs separate loss sums: \(c)")
    }
}
