import DataPipeline
import Foundation

/// `kimi-sft render`: shows what training will see for each record of a dataset: the chat
/// template's text and, when a tokenizer is available, the input ids and labels (the
/// pre-tokenized format, so the output can be fed back as a dataset). On a terminal without
/// --output it prints the text with trained spans highlighted instead of JSON.
enum RenderCommand: Subcommand {
    static let name = "render"
    static let abstract = "Render dataset records through the chat template (and tokenizer, with masks)."
    static let discussion = """
        Give --model DIR (its chat template and tokenizer) or --template FILE.jinja (text only), or
        both (the file's template with the model's tokenizer). Writes one JSON object per example:
        {"text": ...} plus "input_ids" and "labels" when a tokenizer is available.
        """
    static let options: [OptionSpec] = [
        .value("data", "file.jsonl", help: "(required) Dataset file (OpenAI messages, ShareGPT, alpaca or pre-tokenized)."),
        .value("model", "dir", help: "Model directory with chat template and tokenizer files."),
        .value("template", "file.jinja", help: "Chat template file (overrides the model's)."),
        .flag("add-generation-prompt", help: "Render each record as a prompt for the next assistant turn."),
        .value("output", "out.jsonl", short: "o", help: "Write JSON lines here instead of standard output."),
        .value("limit", "n", help: "Render at most this many records."),
        .value("format", "name", help: "Dataset format: openai, sharegpt, alpaca or tokenized (default: detect per file)."),
        .flag("train-on-prompt", help: "Label every token, prompt included."),
        .flag("mask-history", help: "Label only the last assistant turn."),
        .flag("preserve-thinking", help: "Pass preserve_thinking=true to the template."),
        .flag("skip-bad-records", help: "Skip (and count) records that do not fit instead of stopping."),
    ]

    static func run(_ arguments: ParsedArguments) throws {
        try arguments.positionalCount(0...0, "none")
        let data = try arguments.required("data", "file.jsonl")
        let modelDirectory = arguments.value("model")
        let templateFile = arguments.value("template")
        guard modelDirectory != nil || templateFile != nil else {
            throw UsageError("Give --model <dir> or --template <file.jinja>.", command: name)
        }
        let limit = try arguments.integer("limit")
        if let limit, limit < 0 { throw UsageError("Option '--limit' must be 0 or more, got \(limit).", command: name) }
        var format: DatasetFormat?
        if let raw = arguments.value("format") {
            guard let f = DatasetFormat(rawValue: raw) else {
                throw UsageError("Unknown format '\(raw)'; expected one of \(DatasetFormat.allCases.map(\.rawValue).joined(separator: ", ")).", command: name)
            }
            format = f
        }

        let renderer = try RenderInputs.renderer(model: modelDirectory, template: templateFile)
        let tokenizer = try modelDirectory.flatMap { try RenderInputs.tokenizer(model: $0) }
        let rendering = RecordRendering(
            renderer: renderer, tokenizer: tokenizer,
            options: MaskOptions(trainOnPrompt: arguments.has("train-on-prompt"), maskHistory: arguments.has("mask-history"),
                                 preserveThinking: arguments.has("preserve-thinking")),
            addGenerationPrompt: arguments.has("add-generation-prompt"))
        let reader = DatasetReader(format: format, onBadRecord: arguments.has("skip-bad-records") ? .skip : .error)

        let sink = try RenderSink(outputPath: arguments.value("output"))
        var summary = DatasetSummary()
        var rendered = 0
        var renderSkips = 0
        do {
            try reader.forEachRecord(in: data, summary: &summary) { record in
                if let limit, rendered >= limit { throw LimitReached() }
                rendered += 1
                let examples: [RenderedExample]
                do { examples = try rendering.render(record) } catch let error as MaskError where reader.onBadRecord == .skip {
                    renderSkips += 1
                    printError("skipped \(error)")
                    return
                }
                for example in examples {
                    if sink.isTerminal, let tokenizer {
                        sink.write("── \(record.source) " + String(repeating: "─", count: 20))
                        sink.write(example.highlighted(with: tokenizer))
                    } else if sink.isTerminal {
                        sink.write("── \(record.source) " + String(repeating: "─", count: 20))
                        sink.write(example.text)
                    } else {
                        sink.write(example.jsonLine)
                    }
                }
            }
        } catch is LimitReached {}
        try sink.close()
        if summary.recordsSkipped + renderSkips > 0 {
            printError("\(summary.line); \(renderSkips) failed to render")
        }
    }
}

/// Thrown from the record loop to stop reading once --limit records are rendered.
private struct LimitReached: Error {}

/// Where rendered lines go: a file, or standard output (a terminal gets highlighted text).
private final class RenderSink {
    private let handle: FileHandle
    private let path: String?
    private var buffer = Data()
    let isTerminal: Bool

    init(outputPath: String?) throws {
        path = outputPath
        if let outputPath {
            guard FileManager.default.createFile(atPath: outputPath, contents: nil),
                  let h = FileHandle(forWritingAtPath: outputPath) else {
                throw RenderCommandError.cannotWrite(path: outputPath)
            }
            handle = h
            isTerminal = false
        } else {
            handle = FileHandle.standardOutput
            isTerminal = isatty(STDOUT_FILENO) == 1
        }
    }

    func write(_ line: String) {
        buffer.append(contentsOf: Array((line + "\n").utf8))
        if buffer.count >= 1 << 20 { flush() }
    }

    private func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        if path != nil { try handle.close() }
    }
}

enum RenderCommandError: Error, CustomStringConvertible {
    case cannotWrite(path: String)

    var description: String {
        switch self {
        case .cannotWrite(let path): return "\(path): cannot create output file"
        }
    }
}

/// Loads the chat template and tokenizer `render` uses: the template from --template or the
/// model directory; the tokenizer from the model directory's tiktoken.model when there is one.
enum RenderInputs {
    static func renderer(model: String?, template: String?) throws -> any ChatRenderer {
        if let template { return try ChatTemplate(contentsOf: URL(fileURLWithPath: template)) }
        return try ChatTemplate(modelDirectory: URL(fileURLWithPath: model ?? "."))
    }

    static func tokenizer(model: String) throws -> (any TextTokenizer)? {
        let directory = URL(fileURLWithPath: model)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("tiktoken.model").path) else { return nil }
        return try TiktokenTokenizer(directory: directory)
    }
}
