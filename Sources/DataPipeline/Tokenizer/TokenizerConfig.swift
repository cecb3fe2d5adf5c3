import Foundation
import Storage

/// The parts of `tokenizer_config.json` the tokenizer needs: special-token names by id
/// (`added_tokens_decoder`), the bos/eos/pad/unk token names, and the chat template.
public struct TokenizerConfig: Sendable {
    public var addedTokens: [Int: String]
    public var bosToken: String?
    public var eosToken: String?
    public var padToken: String?
    public var unknownToken: String?
    public var chatTemplate: String?

    public init(addedTokens: [Int: String] = [:], bosToken: String? = nil, eosToken: String? = nil,
                padToken: String? = nil, unknownToken: String? = nil, chatTemplate: String? = nil) {
        self.addedTokens = addedTokens; self.bosToken = bosToken; self.eosToken = eosToken
        self.padToken = padToken; self.unknownToken = unknownToken; self.chatTemplate = chatTemplate
    }

    public static func load(_ url: URL) throws -> TokenizerConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        return try parse(JSONParser.parse([UInt8](data), source: url.path), source: url.path)
    }

    public static func parse(_ json: JSONValue, source: String) throws -> TokenizerConfig {
        guard let root = json.objectValue else { throw TokenizerError.badConfig(file: source, reason: "top level is not an object") }
        var config = TokenizerConfig()
        if let decoder = root["added_tokens_decoder"] {
            guard let entries = decoder.objectValue else {
                throw TokenizerError.badConfig(file: source, reason: "added_tokens_decoder is not an object")
            }
            for (key, value) in entries.pairs {
                guard let id = Int(key), id >= 0 else {
                    throw TokenizerError.badConfig(file: source, reason: "added_tokens_decoder key '\(key)' is not a token id")
                }
                guard let content = value["content"]?.stringValue, !content.isEmpty else {
                    throw TokenizerError.badConfig(file: source, reason: "added_tokens_decoder[\"\(key)\"] has no non-empty string 'content'")
                }
                config.addedTokens[id] = content
            }
        }
        func tokenName(_ key: String) throws -> String? {
            switch root[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case .object(let o)?:
                if let s = o["content"]?.stringValue { return s }
                fallthrough
            default:
                throw TokenizerError.badConfig(file: source, reason: "\(key) is neither a string nor an object with 'content'")
            }
        }
        config.bosToken = try tokenName("bos_token")
        config.eosToken = try tokenName("eos_token")
        config.padToken = try tokenName("pad_token")
        config.unknownToken = try tokenName("unk_token")
        switch root["chat_template"] {
        case nil, .null?: break
        case .string(let s)?: config.chatTemplate = s
        default: throw TokenizerError.badConfig(file: source, reason: "chat_template is not a string")
        }
        return config
    }

    /// The 256 special tokens after `baseCount` base ranks, named from `added_tokens_decoder`
    /// where it names them and `<|reserved_token_ID|>` elsewhere, as Kimi's tokenizer does.
    public func specialTokens(baseCount: Int) -> [(id: Int, name: String)] {
        (baseCount..<baseCount + KimiSpecialTokens.count).map { ($0, addedTokens[$0] ?? KimiSpecialTokens.reservedName(id: $0)) }
    }

    /// The file text, with the same keys as Kimi's own tokenizer_config.json (auto_map to
    /// tokenization_kimi.py included, so a directory that also holds that Python file loads in
    /// transformers unchanged): `added_tokens_decoder` in id order with transformers' AddedToken
    /// fields, the token names, and the template.
    public func serialized() -> String {
        var decoder = JSONObject()
        for id in addedTokens.keys.sorted() {
            decoder[String(id)] = .object(JSONObject([
                ("content", .string(addedTokens[id]!)), ("lstrip", .bool(false)), ("normalized", .bool(false)),
                ("rstrip", .bool(false)), ("single_word", .bool(false)), ("special", .bool(true)),
            ]))
        }
        var root = JSONObject()
        root["added_tokens_decoder"] = .object(decoder)
        root["additional_special_tokens"] = .array(KimiSpecialTokens.additionalSpecialTokens.map { .string($0) })
        root["auto_map"] = .object(JSONObject([("AutoTokenizer", .array([.string("tokenization_kimi.TikTokenTokenizer"), .null]))]))
        if let s = bosToken { root["bos_token"] = .string(s) }
        if let t = chatTemplate { root["chat_template"] = .string(t) }
        root["clean_up_tokenization_spaces"] = .bool(false)
        if let s = eosToken { root["eos_token"] = .string(s) }
        root["extra_special_tokens"] = .object(JSONObject())
        root["model_max_length"] = .int(1_048_576)
        if let s = padToken { root["pad_token"] = .string(s) }
        root["tokenizer_class"] = .string("TikTokenTokenizer")
        if let s = unknownToken { root["unk_token"] = .string(s) }
        return JSONSerializer(indent: 2).serialize(.object(root)) + "\n"
    }
}
