/// Kimi's 256 special tokens, placed right after the base vocabulary (KIMI-FORMAT.md §6). The
/// names at these offsets are Kimi's; every other slot is `<|reserved_token_ID|>` with its
/// absolute id, which is what Kimi's tokenizer names a slot missing from `added_tokens_decoder`.
public enum KimiSpecialTokens {
    public static let count = 256

    /// Offset from the base vocabulary size -> name.
    public static let namedOffsets: [Int: String] = [
        0: "[BOS]", 1: "[EOS]", 2: "<|im_end|>", 3: "<|im_user|>", 4: "<|im_assistant|>",
        6: "<|start_header_id|>", 7: "<|end_header_id|>", 9: "[EOT]", 10: "<|im_system|>",
        11: "<|tool_calls_section_begin|>", 12: "<|tool_calls_section_end|>", 13: "<|tool_call_begin|>",
        14: "<|tool_call_argument_begin|>", 15: "<|tool_call_end|>", 17: "<|im_middle|>",
        18: "<|media_begin|>", 19: "<|media_content|>", 20: "<|media_end|>", 21: "<|media_pad|>",
        22: "<think>", 23: "</think>", 254: "[UNK]", 255: "[PAD]",
    ]

    /// `additional_special_tokens` in Kimi's tokenizer_config.json.
    public static let additionalSpecialTokens = ["<|im_end|>", "<|im_user|>", "<|im_assistant|>", "<|start_header_id|>",
                                                 "<|end_header_id|>", "[EOT]", "<|im_system|>", "<|im_middle|>"]

    /// The name Kimi gives a special id when the config does not name it.
    public static func reservedName(id: Int) -> String { "<|reserved_token_\(id)|>" }

    /// All 256 (id, name) pairs for a base vocabulary of `baseCount` tokens, in id order.
    public static func defaults(baseCount: Int) -> [(id: Int, name: String)] {
        (0..<count).map { offset in
            let id = baseCount + offset
            return (id, namedOffsets[offset] ?? reservedName(id: id))
        }
    }
}
