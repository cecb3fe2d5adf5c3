/// One packed row of training tokens as the loop handles it: ids, positions, segment ids and
/// labels aligned to the ids (-100 = not trained; the model shifts by one).
///
/// The Trainer's own type because DataPipeline and KimiModel each define a `TokenBatch` with these
/// fields; the loop converts at the two edges (`DataPipelineBatches.swift`, `ModelBatch.swift`)
/// until the lead unifies them.
public struct TrainingSequence: Sendable, Equatable {
    public var inputIds: [Int32]
    public var positions: [Int32]
    public var segmentIds: [Int32]
    public var labels: [Int32]

    public static let ignoreLabel: Int32 = -100

    public init(inputIds: [Int32], positions: [Int32], segmentIds: [Int32], labels: [Int32]) {
        precondition(positions.count == inputIds.count && segmentIds.count == inputIds.count && labels.count == inputIds.count,
                     "TrainingSequence: ids \(inputIds.count), positions \(positions.count), segments \(segmentIds.count), labels \(labels.count)")
        self.inputIds = inputIds
        self.positions = positions
        self.segmentIds = segmentIds
        self.labels = labels
    }

    public var count: Int { inputIds.count }

    /// Positions whose next-token loss counts: label t+1 is trained and in the same segment. This
    /// is the `count` the model's loss sum is over, so the loop can normalise before the pass.
    public var supervisedCount: Int {
        guard count > 1 else { return 0 }
        var n = 0
        for t in 1..<count where segmentIds[t] == segmentIds[t - 1] && labels[t] != Self.ignoreLabel { n += 1 }
        return n
    }

    /// Several rows laid end to end as one micro-batch, segment ids renumbered so no attention or
    /// loss crosses from one row into the next.
    public static func concatenate(_ rows: [TrainingSequence]) -> TrainingSequence {
        var ids: [Int32] = [], positions: [Int32] = [], segments: [Int32] = [], labels: [Int32] = []
        let total = rows.reduce(0) { $0 + $1.count }
        ids.reserveCapacity(total); positions.reserveCapacity(total); segments.reserveCapacity(total); labels.reserveCapacity(total)
        var nextSegment: Int32 = 0
        for row in rows where row.count > 0 {
            var previous = row.segmentIds[0], current = nextSegment
            for s in row.segmentIds {
                if s != previous { current += 1; previous = s }
                segments.append(current)
            }
            nextSegment = current + 1
            ids += row.inputIds
            positions += row.positions
            labels += row.labels
        }
        return TrainingSequence(inputIds: ids, positions: positions, segmentIds: segments, labels: labels)
    }
}
