/// Why a chat template could not be loaded or rendered; each case names the file or template.
public enum ChatTemplateError: Error, CustomStringConvertible {
    case fileUnreadable(path: String, reason: String)
    case noTemplate(directory: String)
    case invalidTokenizerConfig(path: String, reason: String)
    case template(name: String, JinjaError)
    case invalidMessage(index: Int, reason: String)

    public var description: String {
        switch self {
        case .fileUnreadable(let p, let r): return "\(p): cannot read chat template: \(r)"
        case .noTemplate(let d): return "\(d): no chat_template.jinja and no chat_template in tokenizer_config.json"
        case .invalidTokenizerConfig(let p, let r): return "\(p): \(r)"
        case .template(let n, let e): return "\(n): \(e)"
        case .invalidMessage(let i, let r): return "message \(i): \(r)"
        }
    }
}
