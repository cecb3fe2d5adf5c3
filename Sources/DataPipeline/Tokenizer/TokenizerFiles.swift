import Foundation

/// Writes a model directory's tokenizer files in Kimi's layout: `tiktoken.model` (base ranks) and
/// `tokenizer_config.json` naming the 256 special tokens placed right after the base ranks with
/// Kimi's names and offsets, `[BOS]`/`[EOS]`/`[PAD]`/`[UNK]`, and the caller's chat template.
public enum TokenizerFiles {
    public static let rankFileName = "tiktoken.model"
    public static let configFileName = "tokenizer_config.json"

    /// Writes both files for the base `tokens` (index = rank); returns the full vocabulary size
    /// (base + 256 special tokens), the `vocab_size` the model config must use.
    @discardableResult
    public static func write(tokens: [[UInt8]], chatTemplate: String?, to directory: URL) throws -> Int {
        let base = tokens.count
        var config = TokenizerConfig(bosToken: "[BOS]", eosToken: "[EOS]", padToken: "[PAD]", unknownToken: "[UNK]",
                                     chatTemplate: chatTemplate)
        for (id, name) in KimiSpecialTokens.defaults(baseCount: base) { config.addedTokens[id] = name }
        try writeFile(TiktokenRankFile.serialize(tokens), directory.appendingPathComponent(rankFileName))
        try writeFile(config.serialized(), directory.appendingPathComponent(configFileName))
        return base + KimiSpecialTokens.count
    }

    /// Trains a vocabulary of `baseVocabularySize` ranks on `sampleText` and writes both files;
    /// returns the full vocabulary size (which is smaller when the text runs out of pairs).
    @discardableResult
    public static func trainAndWrite(sampleText: String, baseVocabularySize: Int, chatTemplate: String?,
                                     to directory: URL) throws -> Int {
        let tokens = BPETrainer(targetVocabularySize: baseVocabularySize).train(text: sampleText)
        return try write(tokens: tokens, chatTemplate: chatTemplate, to: directory)
    }

    private static func writeFile(_ text: String, _ url: URL) throws {
        do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
            throw TokenizerError.unwritable(file: url.path, reason: error.localizedDescription)
        }
    }
}
