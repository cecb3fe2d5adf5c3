import Foundation
import Storage

/// A model directory's tokenizer files in Kimi's layout: `tiktoken.model` (base ranks) and
/// `tokenizer_config.json` naming the 256 special tokens placed right after the base ranks with
/// Kimi's names and offsets, `[BOS]`/`[EOS]`/`[PAD]`/`[UNK]`, and the caller's chat template.
public enum TokenizerFiles {
    public static let rankFileName = "tiktoken.model"
    public static let configFileName = "tokenizer_config.json"

    /// The two files for the base `tokens` (index = rank), as (file name, bytes).
    public static func contents(tokens: [[UInt8]], chatTemplate: String?) -> [(name: String, contents: [UInt8])] {
        [(rankFileName, Array(TiktokenRankFile.serialize(tokens).utf8)),
         (configFileName, Array(configText(baseCount: tokens.count, chatTemplate: chatTemplate).utf8))]
    }

    /// `tokenizer_config.json` for a vocabulary of `baseCount` base ranks: Kimi's 256 special
    /// tokens after them, `[BOS]`/`[EOS]`/`[PAD]`/`[UNK]`, and the template.
    public static func configText(baseCount: Int, chatTemplate: String?) -> String {
        var config = TokenizerConfig(bosToken: "[BOS]", eosToken: "[EOS]", padToken: "[PAD]", unknownToken: "[UNK]",
                                     chatTemplate: chatTemplate)
        for (id, name) in KimiSpecialTokens.defaults(baseCount: baseCount) { config.addedTokens[id] = name }
        return config.serialized()
    }

    /// Writes both files; returns the full vocabulary size (base + 256 special tokens), the
    /// `vocab_size` the model config must use.
    @discardableResult
    public static func write(tokens: [[UInt8]], chatTemplate: String?, to directory: URL) throws -> Int {
        for (name, bytes) in contents(tokens: tokens, chatTemplate: chatTemplate) {
            let url = directory.appendingPathComponent(name)
            do { try Data(bytes).write(to: url, options: .atomic) } catch {
                throw TokenizerError.unwritable(file: url.path, reason: error.localizedDescription)
            }
        }
        return tokens.count + KimiSpecialTokens.count
    }

    /// Trains a vocabulary of `baseVocabularySize` ranks on `sampleText` and writes both files;
    /// returns the full vocabulary size (smaller than asked when the text runs out of pairs).
    @discardableResult
    public static func trainAndWrite(sampleText: String, baseVocabularySize: Int, chatTemplate: String?,
                                     to directory: URL) throws -> Int {
        let tokens = BPETrainer(targetVocabularySize: baseVocabularySize).train(text: sampleText)
        return try write(tokens: tokens, chatTemplate: chatTemplate, to: directory)
    }
}
