import DataPipeline
import Foundation

/// The run's data: the recipe's dataset files through the model's tokenizer and chat template,
/// masked, packed to cutoff_len, and split into training and eval rows, with the counts the plan
/// and the summary report.
public struct TrainingData: Sendable {
    public var train: [TrainingSequence]
    public var eval: [TrainingSequence]
    /// Records read and skipped over train and eval files together.
    public var recordsRead: Int
    public var recordsSkipped: Int
    public var skipReasons: [String]
    /// Examples that went into rows (train + eval), and those truncated or dropped by packing.
    public var examples: Int
    public var truncated: Int
    public var dropped: Int
    /// One line per data source: "train: 44/49 examples in 44 sequences (...)" and whether the
    /// token cache was reused.
    public var notes: [String]

    public var trainTokens: Int { train.reduce(0) { $0 + $1.count } }
    public var trainSupervisedTokens: Int { train.reduce(0) { $0 + $1.supervisedCount } }
    public var evalTokens: Int { eval.reduce(0) { $0 + $1.count } }

    /// Loads the tokenizer and template from the model folder (or `chat_template`), prepares the
    /// data (token caches in `cacheDirectory`), and splits off the eval rows.
    public static func load(recipe: Recipe, vocabularySize: Int, cacheDirectory: URL?) throws -> TrainingData {
        let model = URL(fileURLWithPath: recipe.modelPath)
        let tokenizer: TiktokenTokenizer
        let template: ChatTemplate
        do {
            tokenizer = try TiktokenTokenizer(directory: model)
            template = try recipe.chatTemplatePath.map { try ChatTemplate(contentsOf: URL(fileURLWithPath: $0)) }
                ?? ChatTemplate(modelDirectory: model)
        } catch {
            throw TrainingError.model(path: recipe.modelPath, reason: "tokenizer or chat template: \(error)")
        }
        guard tokenizer.vocabularySize <= vocabularySize else {
            throw TrainingError.model(path: recipe.modelPath,
                                      reason: "the tokenizer has \(tokenizer.vocabularySize) tokens but config.json's vocab_size is \(vocabularySize)")
        }
        let tokenizerFiles = [TokenizerFiles.rankFileName, TokenizerFiles.configFileName].map { model.appendingPathComponent($0).path }
            .filter { FileManager.default.fileExists(atPath: $0) }
        let templateFiles = recipe.chatTemplatePath.map { [$0] }
            ?? ["chat_template.jinja", TokenizerFiles.configFileName].map { model.appendingPathComponent($0).path }
                .filter { FileManager.default.fileExists(atPath: $0) }
        let tokenizerFingerprint: String, templateFingerprint: String
        do {
            tokenizerFingerprint = try TokenCacheKey.hashFiles(tokenizerFiles)
            templateFingerprint = try TokenCacheKey.hashFiles(templateFiles)
        } catch {
            throw TrainingError.model(path: recipe.modelPath, reason: "\(error)")
        }

        func prepare(_ files: [String], cacheName: String) throws -> PreparedDataset {
            let policy = DataPipeline.BadRecordPolicy(rawValue: recipe.onBadRecord.rawValue) ?? .error
            let preparation = DatasetPreparation(
                files: files, onBadRecord: policy,
                masks: MaskOptions(trainOnPrompt: recipe.trainOnPrompt, maskHistory: recipe.maskHistory),
                cutoffLength: recipe.cutoffLength, packing: recipe.packing,
                cachePath: cacheDirectory?.appendingPathComponent(cacheName).path)
            do {
                return try preparation.run(renderer: template, tokenizer: tokenizer,
                                           tokenizerFingerprint: tokenizerFingerprint, templateFingerprint: templateFingerprint)
            } catch {
                throw TrainingError.data(reason: "\(error)")
            }
        }

        if let cacheDirectory {
            do { try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true) } catch {
                throw TrainingError.io(path: cacheDirectory.path, reason: "cannot create the token cache folder: \(error.localizedDescription)")
            }
        }
        let trainSet = try prepare(recipe.datasets, cacheName: "train.h5")
        var data = TrainingData(train: trainSet.trainingSequences, eval: [], recordsRead: 0, recordsSkipped: 0, skipReasons: [],
                                examples: 0, truncated: 0, dropped: 0, notes: [])
        data.add(trainSet, label: "train")
        if !recipe.evalDatasets.isEmpty {
            let evalSet = try prepare(recipe.evalDatasets, cacheName: "eval.h5")
            data.eval = evalSet.trainingSequences
            data.add(evalSet, label: "eval")
        } else if recipe.validationSize > 0 {
            (data.train, data.eval) = split(data.train, validationSize: recipe.validationSize, seed: UInt64(recipe.seed))
            data.notes.append("val_size \(recipe.validationSize): \(data.eval.count) of \(data.train.count + data.eval.count) sequences held out for eval (seed \(recipe.seed))")
        }
        guard !data.train.isEmpty else {
            throw TrainingError.emptyDataset("no training sequences left (\(data.recordsRead) records read, \(data.recordsSkipped) skipped"
                + (data.skipReasons.first.map { "; first: \($0)" } ?? "") + ")")
        }
        if recipe.effectiveEvalStrategy != .no && data.eval.isEmpty {
            throw TrainingError.emptyDataset("the eval split is empty: raise val_size or check eval_dataset")
        }
        return data
    }

    private mutating func add(_ set: PreparedDataset, label: String) {
        recordsRead += set.dataset.recordsRead
        recordsSkipped += set.dataset.recordsSkipped
        skipReasons += set.dataset.skipReasons
        examples += set.packing.examplesPacked
        truncated += set.packing.truncated
        dropped += set.packing.droppedOverlong + set.packing.droppedUntrained
        var note = "\(label): \(set.packing.line)"
        if let cache = set.cache { note += "; token cache \(cache)" }
        notes.append(note)
    }

    /// A deterministic held-out split as `train_test_split(test_size, seed)`: a fraction takes
    /// ceil(fraction * n) rows, a value >= 1 that many; rows are drawn by a seeded shuffle and both
    /// parts keep the data's order.
    static func split(_ rows: [TrainingSequence], validationSize: Double, seed: UInt64) -> (train: [TrainingSequence], eval: [TrainingSequence]) {
        let n = rows.count
        let wanted = validationSize >= 1 ? Int(validationSize) : Int((Double(n) * validationSize).rounded(.up))
        let k = min(max(wanted, 0), max(n - 1, 0))
        var order = Array(0..<n)
        var generator = SeededShuffle.generator(seed: seed, stream: 0x5EED_5EED)
        SeededShuffle.shuffle(&order, using: &generator)
        let held = Set(order.prefix(k))
        var train: [TrainingSequence] = [], eval: [TrainingSequence] = []
        for (i, row) in rows.enumerated() {
            if held.contains(i) { eval.append(row) } else { train.append(row) }
        }
        return (train, eval)
    }
}
