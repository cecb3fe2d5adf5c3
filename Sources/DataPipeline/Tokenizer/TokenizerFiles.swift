import Foundation
import Storage

/// A model directory's tokenizer files in Kimi's layout: `tiktoken.model` (base ranks) and
/// `tokenizer_config.json` naming the 256 special tokens placed right after the base ranks with
/// Kimi's names and offsets, `[BOS]`/`[EOS]`/`[PAD]`/`[UNK]`, and the caller's chat template.
/// The config carries the same keys as Kimi's own (auto_map to tokenization_kimi.py included),
/// so a directory that also holds that Python file loads in transformers unchanged.
public enum TokenizerFiles {
    public static let rankFileName = "tiktoken.model"
    public static let configFileName = "tokenizer_config.json"

    /// The two files for the base `tokens` (index = rank), as (file name, bytes).
    public static func contents(tokens: [[UInt8]], chatTemplate: String?) -> [(name: String, contents: [UInt8])] {
        [(rankFileName, Array(TiktokenRankFile.serialize(tokens).utf8)),
         (configFileName, Array(configText(baseCount: tokens.count, chatTemplate: chatTemplate).utf8))]
    }

    /// `tokenizer_config.json` for a vocabulary of `baseCount` base ranks.
    public static func configText(baseCount: Int, chatTemplate: String?) -> String {
        var added = JSONObject()
        for (id, name) in KimiSpecialTokens.defaults(baseCount: baseCount) {
            added[String(id)] = .object(JSONObject([
                ("content", .string(name)), ("lstrip", .bool(false)), ("normalized", .bool(false)),
                ("rstrip", .bool(false)), ("single_word", .bool(false)), ("special", .bool(true)),
            ]))
        }
        var root = JSONObject()
        root["added_tokens_decoder"] = .object(added)
        root["additional_special_tokens"] = .array(KimiSpecialTokens.additionalSpecialTokens.map { .string($0) })
        root["auto_map"] = .object(JSONObject([("AutoTokenizer", .array([.string("tokenization_kimi.TikTokenTokenizer"), .null]))]))
        root["bos_token"] = .string("[BOS]")
        if let chatTemplate { root["chat_template"] = .string(chatTemplate) }
        root["clean_up_tokenization_spaces"] = .bool(false)
        root["eos_token"] = .string("[EOS]")
        root["extra_special_tokens"] = .object(JSONObject())
        root["model_max_length"] = .int(1_048_576)
        root["pad_token"] = .string("[PAD]")
        root["tokenizer_class"] = .string("TikTokenTokenizer")
        root["unk_token"] = .string("[UNK]")
        return JSONSerializer(indent: 2).serialize(.object(root)) + "\n"
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
