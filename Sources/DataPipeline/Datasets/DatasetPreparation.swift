import Foundation
import Storage

/// The whole data path a training run needs: dataset files -> masked examples (through the token
/// cache when `cachePath` is set) -> `PackedSequence`s, with every count the run
/// summary reports. The cache holds examples, not packed windows, so changing cutoff_len or
/// packing reuses it.
public struct DatasetPreparation: Sendable {
    public var files: [String]
    public var format: DatasetFormat?
    public var onBadRecord: BadRecordPolicy
    public var masks: MaskOptions
    public var cutoffLength: Int
    public var packing: Bool
    public var overlong: OverlongPolicy
    /// Where the HDF5 token cache lives; nil disables caching.
    public var cachePath: String?

    public init(files: [String], format: DatasetFormat? = nil, onBadRecord: BadRecordPolicy = .error,
                masks: MaskOptions = MaskOptions(), cutoffLength: Int, packing: Bool,
                overlong: OverlongPolicy = .truncate, cachePath: String? = nil) {
        self.files = files
        self.format = format
        self.onBadRecord = onBadRecord
        self.masks = masks
        self.cutoffLength = cutoffLength
        self.packing = packing
        self.overlong = overlong
        self.cachePath = cachePath
    }

    /// The options that change the cached examples, as the cache's `options` attribute.
    public var cacheOptions: String {
        "format=\(format?.rawValue ?? "detect");on_bad_record=\(onBadRecord.rawValue);train_on_prompt=\(masks.trainOnPrompt);"
            + "mask_history=\(masks.maskHistory);preserve_thinking=\(masks.preserveThinking)"
    }

    /// Runs the pipeline. `tokenizerFingerprint` and `templateFingerprint` identify the tokenizer
    /// and template (e.g. SHA-256 of their files / text) for the cache key.
    public func run(renderer: any ChatRenderer, tokenizer: any TextTokenizer,
                    tokenizerFingerprint: String, templateFingerprint: String) throws -> PreparedDataset {
        let builder = TrainingExampleBuilder(reader: DatasetReader(format: format, onBadRecord: onBadRecord),
                                             masks: AssistantMaskBuilder(renderer: renderer, tokenizer: tokenizer, options: masks))
        let examples: [LabeledExample]
        let summary: DatasetSummary
        var cacheStatus: TokenCache.Status?
        if let cachePath {
            let key = TokenCacheKey(tokenizer: tokenizerFingerprint, template: templateFingerprint,
                                    sources: try TokenCacheKey.hashFiles(files), options: cacheOptions)
            let loaded = try TokenCache.loadOrBuild(at: cachePath, key: key) { try builder.examples(from: files) }
            (examples, summary, cacheStatus) = (loaded.examples, loaded.summary, loaded.status)
        } else {
            (examples, summary) = try builder.examples(from: files)
        }
        let (batches, packingSummary) = SequencePacker(cutoffLength: cutoffLength, packing: packing, overlong: overlong).pack(examples)
        return PreparedDataset(sequences: batches, dataset: summary, packing: packingSummary, cache: cacheStatus)
    }
}

/// Packed sequences ready for the trainer, with the counts for its run summary.
public struct PreparedDataset: Sendable {
    public var sequences: [PackedSequence]
    public var dataset: DatasetSummary
    public var packing: PackingSummary
    /// Whether the token cache was reused or rebuilt (nil without a cache).
    public var cache: TokenCache.Status?
}
