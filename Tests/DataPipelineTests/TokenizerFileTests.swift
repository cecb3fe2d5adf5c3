import Foundation
import Storage
import Testing
import TestSupport
@testable import DataPipeline

/// tiktoken.model and tokenizer_config.json parsing: round trips and every malformed-input error.
@Suite struct TokenizerFileTests {
    /// A valid rank file: the 256 bytes, then `extra` tokens.
    static func rankText(extra: [String] = ["ab", "abc"]) -> String {
        TiktokenRankFile.serialize((0..<256).map { [UInt8($0)] } + extra.map { Array($0.utf8) })
    }

    static func parseError(_ text: String) -> TokenizerError? {
        do { _ = try TiktokenRankFile.parse(Data(text.utf8), source: "t.model"); return nil }
        catch let e as TokenizerError { return e } catch { return nil }
    }

    @Test func roundTrip() throws {
        let table = try TiktokenRankFile.parse(Data(Self.rankText().utf8), source: "t.model")
        #expect(table.count == 258)
        #expect(table.rank(of: Array("abc".utf8)) == 257)
        #expect(table.bytes(ofRank: 256).map(Array.init) == Array("ab".utf8))
        #expect(table.rank(of: [0xFF]) == 255)
    }

    @Test func acceptsCRLFAndBlankLines() throws {
        let text = Self.rankText().replacingOccurrences(of: "\n", with: "\r\n") + "\r\n\r\n"
        #expect(try TiktokenRankFile.parse(Data(text.utf8), source: "t.model").count == 258)
    }

    @Test func badBase64() {
        let text = Self.rankText() + "YW*= 258\n"
        #expect(Self.parseError(text) == .badRankLine(file: "t.model", line: 259, reason: "bad base64: character '*' is not base64"))
        #expect(Self.parseError(Self.rankText() + "YWJ 258\n")?.description.contains("t.model:259: bad tiktoken rank line: bad base64") == true)
        #expect(Self.parseError(Self.rankText() + "YQ=a 258\n") != nil)
        #expect(Self.parseError(Self.rankText() + "YR== 258\n") != nil, "non-zero padding bits")
    }

    @Test func badRankLines() {
        #expect(Self.parseError(Self.rankText() + "YWJj\n") == .badRankLine(file: "t.model", line: 259, reason: "expected 'base64 rank', found 1 field(s)"))
        #expect(Self.parseError(Self.rankText() + "YWJj 1 2\n") != nil)
        #expect(Self.parseError(Self.rankText() + "YWJj -3\n") == .badRankLine(file: "t.model", line: 259, reason: "rank '-3' is not a non-negative integer"))
        #expect(Self.parseError(Self.rankText() + "YWJj x\n") != nil)
    }

    @Test func duplicates() {
        #expect(Self.parseError(Self.rankText() + "YWJk 257\n") == .duplicateRank(file: "t.model", line: 259, rank: 257, firstLine: 258))
        #expect(Self.parseError(Self.rankText() + "YWI= 258\n") == .duplicateToken(file: "t.model", line: 259, firstLine: 257))
    }

    @Test func gapsAndMissingBytes() {
        #expect(Self.parseError(Self.rankText() + "YWJk 300\n") == .ranksNotDense(file: "t.model", rank: 300, count: 259))
        let withoutByte = Self.rankText().split(separator: "\n").filter { !$0.hasSuffix(" 65") }.joined(separator: "\n")
            + "\nQQ== 65\n"  // re-add 'A' so ranks stay dense, then drop byte 0x42 instead
        #expect(Self.parseError(withoutByte) == nil)
        let lines = Self.rankText().split(separator: "\n").map(String.init)
        var missing = lines
        missing[66] = Base64.encode(Array("zz".utf8)) + " 66"  // byte 'B' replaced
        #expect(Self.parseError(missing.joined(separator: "\n")) == .missingByte(file: "t.model", byte: 0x42))
        #expect(TokenizerError.missingByte(file: "t.model", byte: 0x42).description.contains("0x42"))
    }

    @Test func unreadableFile() {
        #expect(throws: TokenizerError.self) { try TiktokenRankFile.load(URL(fileURLWithPath: "/nonexistent/tiktoken.model")) }
    }

    @Test func configParsing() throws {
        let json = try JSONParser.parse(#"{"added_tokens_decoder": {"300": {"content": "[BOS]"}, "301": {"content": "<x>"}}, "bos_token": {"content": "[BOS]"}, "eos_token": "[EOS]", "pad_token": null, "chat_template": "{{ x }}"}"#)
        let config = try TokenizerConfig.parse(json, source: "c.json")
        #expect(config.addedTokens == [300: "[BOS]", 301: "<x>"])
        #expect(config.bosToken == "[BOS]" && config.eosToken == "[EOS]" && config.padToken == nil)
        #expect(config.chatTemplate == "{{ x }}")
        let specials = config.specialTokens(baseCount: 300)
        #expect(specials.count == 256 && specials[1].name == "<x>" && specials[2].name == "<|reserved_token_302|>")
    }

    @Test(arguments: [
        (#"[]"#, "top level is not an object"),
        (#"{"added_tokens_decoder": []}"#, "added_tokens_decoder is not an object"),
        (#"{"added_tokens_decoder": {"x": {"content": "a"}}}"#, "added_tokens_decoder key 'x' is not a token id"),
        (#"{"added_tokens_decoder": {"5": {"special": true}}}"#, #"added_tokens_decoder["5"] has no non-empty string 'content'"#),
        (#"{"bos_token": 3}"#, "bos_token is neither a string nor an object with 'content'"),
        (#"{"chat_template": [1]}"#, "chat_template is not a string"),
    ])
    func malformedConfig(json: String, message: String) throws {
        let value = try JSONParser.parse(json)
        #expect(throws: TokenizerError.badConfig(file: "c.json", reason: message)) { try TokenizerConfig.parse(value, source: "c.json") }
    }

    @Test func configFileRoundTrip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let tokens = (0..<256).map { [UInt8($0)] } + [Array("hi".utf8)]
        let size = try TokenizerFiles.write(tokens: tokens, chatTemplate: "{% for m in messages %}{{ m }}{% endfor %}", to: dir.url)
        #expect(size == 257 + 256)
        let config = try TokenizerConfig.load(dir.file("tokenizer_config.json"))
        #expect(config.chatTemplate == "{% for m in messages %}{{ m }}{% endfor %}")
        #expect(config.addedTokens.count == 256 && config.addedTokens[257] == "[BOS]" && config.addedTokens[257 + 255] == "[PAD]")
        #expect(config.bosToken == "[BOS]" && config.eosToken == "[EOS]" && config.padToken == "[PAD]" && config.unknownToken == "[UNK]")
        let tokenizer = try TiktokenTokenizer(directory: dir.url)
        #expect(tokenizer.specialTokenID("<|im_end|>") == 259 && tokenizer.specialTokenID("[UNK]") == 257 + 254)
        #expect(tokenizer.specialTokenID("<|reserved_token_262|>") == 262)
        #expect(tokenizer.encode("hi<|im_end|>") == [256, 259])
        #expect(tokenizer.bosTokenID == 257 && tokenizer.eosTokenID == 258 && tokenizer.padTokenID == 257 + 255)
        #expect(tokenizer.unknownTokenID == 257 + 254)
        #expect(tokenizer.chatTemplate == "{% for m in messages %}{{ m }}{% endfor %}")
    }

    @Test func configNamingAnUnknownEOS() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try TokenizerFiles.write(tokens: (0..<256).map { [UInt8($0)] }, chatTemplate: nil, to: dir.url)
        let config = dir.file("tokenizer_config.json")
        let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "\"eos_token\": \"[EOS]\"", with: "\"eos_token\": \"<eos>\"")
        try text.write(to: config, atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.badConfig(file: config.path, reason: "eos_token '<eos>' is not one of the special tokens after the 256 base ranks")) {
            try TiktokenTokenizer(directory: dir.url)
        }
    }
}
