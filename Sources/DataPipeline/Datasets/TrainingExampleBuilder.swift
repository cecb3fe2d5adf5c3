import Storage

/// Dataset files -> tokenized, masked examples: reads records, renders and masks conversations,
/// checks pre-tokenized ids against the vocabulary. Under `.skip` a record whose render or mask
/// fails is counted like a malformed one.
public struct TrainingExampleBuilder: Sendable {
    public var reader: DatasetReader
    public var masks: AssistantMaskBuilder

    public init(reader: DatasetReader, masks: AssistantMaskBuilder) {
        self.reader = reader
        self.masks = masks
    }

    public func examples(from paths: [String]) throws -> (examples: [LabeledExample], summary: DatasetSummary) {
        var examples: [LabeledExample] = []
        var summary = DatasetSummary()
        let vocabulary = masks.tokenizer.vocabularySize
        var reasoningDropped = 0
        for path in paths {
            var fileSummary = DatasetSummary()
            var conversionSkips = DatasetSummary()
            try reader.forEachRecord(in: path, summary: &fileSummary) { sourced in
                do {
                    switch sourced.record {
                    case .conversation(let conversation):
                        let masked = try masks.masked(conversation, record: sourced.source)
                        examples += masked.examples
                        reasoningDropped += masked.turnsWithReasoningDropped
                    case .tokens(let example):
                        if let bad = example.inputIds.firstIndex(where: { Int($0) >= vocabulary }) {
                            throw DatasetError.badRecord(record: sourced.source,
                                message: "input_ids[\(bad)] = \(example.inputIds[bad]) is outside the tokenizer's vocabulary of \(vocabulary)")
                        }
                        examples.append(example)
                    }
                } catch let error as MaskError where reader.onBadRecord == .skip {
                    conversionSkips.skip(error)
                } catch let error as DatasetError where reader.onBadRecord == .skip {
                    conversionSkips.skip(error)
                }
            }
            // Conversion skips were read successfully first, so they count as read and skipped.
            fileSummary.recordsSkipped += conversionSkips.recordsSkipped
            fileSummary.skipReasons += conversionSkips.skipReasons.prefix(max(0, DatasetSummary.keptReasons - fileSummary.skipReasons.count))
            summary.merge(fileSummary)
        }
        summary.turnsWithReasoningDropped = reasoningDropped
        return (examples, summary)
    }
}
