import DataPipeline
import Foundation
import Storage

/// `kimi-sft tokenize`: text to ids (one JSON array) or ids back to text, with the model's own
/// tokenizer files; `--stats` measures throughput instead of printing ids.
enum TokenizeCommand: Subcommand {
    static let name = "tokenize"
    static let abstract = "Print the token ids of a text, or decode ids back to text."
    static let discussion = """
    Reads F (or standard input). Encoding prints one JSON array of ids; --decode reads such an
    array and prints the text exactly (no added line break). Special-token strings in the text
    (e.g. <|im_end|>) become their ids, as Kimi's tokenizer does.
    --stats prints sizes and throughput instead of the ids. With --jsonl, F is a .jsonl or
    .jsonl.zst file: every record is parsed and all its string values are tokenized, and the
    reading/parsing and tokenizing throughputs are reported separately.
    """
    static let options: [OptionSpec] = [
        .value("model", "dir", help: "(required) Model directory with tiktoken.model and tokenizer_config.json."),
        .value("file", "path", help: "Input file (default: standard input)."),
        .flag("decode", help: "Read a JSON array of ids and print the text."),
        .flag("stats", help: "Print byte, token and time figures instead of the ids."),
        .flag("jsonl", help: "With --stats: stream a JSONL(.zst) file and tokenize its string values."),
        .value("train-vocabulary", "n", help: "Train a byte-level BPE of n base ranks on F and write the tokenizer files into --model."),
    ]

    static func run(_ arguments: ParsedArguments) throws {
        try arguments.positionalCount(0...0, "none")
        let model = try arguments.required("model", "dir")
        if let size = try arguments.integer("train-vocabulary") {
            guard size >= 256, let file = arguments.value("file") else {
                throw UsageError("--train-vocabulary needs --file and a size of at least 256.", command: name)
            }
            try train(size: size, file: file, directory: URL(fileURLWithPath: model))
            return
        }
        let tokenizer = try TiktokenTokenizer(directory: URL(fileURLWithPath: model))
        if arguments.has("jsonl") {
            guard arguments.has("stats"), !arguments.has("decode"), let file = arguments.value("file") else {
                throw UsageError("--jsonl needs --stats and --file, and cannot be used with --decode.", command: name)
            }
            try jsonlStats(tokenizer, URL(fileURLWithPath: file))
            return
        }
        let input = try readInput(arguments.value("file"))
        let source = arguments.value("file") ?? "<stdin>"
        if arguments.has("decode") {
            let ids = try parseIDs(input, source: source)
            let bytes = try tokenizer.decodeBytes(ids)
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        guard let text = String(validating: input, as: UTF8.self) else {
            throw TokenizerError.badInput(source: source, reason: "input is not valid UTF-8")
        }
        let clock = ThreadCPUClock()
        let start = clock.now
        let ids = tokenizer.encode(text)
        let seconds = clock.now - start
        if arguments.has("stats") {
            print("bytes \(input.count)  tokens \(ids.count)  bytes/token \(format(Double(input.count) / Double(max(ids.count, 1))))  CPU seconds \(format(seconds))  MB/s \(format(Double(input.count) / 1e6 / seconds))")
        } else {
            print("[" + ids.map(String.init).joined(separator: ", ") + "]")
        }
    }

    private static func train(size: Int, file: String, directory: URL) throws {
        guard let text = String(validating: try readInput(file), as: UTF8.self) else {
            throw TokenizerError.badInput(source: file, reason: "input is not valid UTF-8")
        }
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw TokenizerError.unwritable(file: directory.path, reason: error.localizedDescription)
        }
        let clock = ContinuousClock()
        let start = clock.now
        let total = try TokenizerFiles.trainAndWrite(sampleText: text, baseVocabularySize: size, chatTemplate: nil, to: directory)
        print("vocabulary \(total) (\(total - KimiSpecialTokens.count) base + \(KimiSpecialTokens.count) special) trained on \(text.utf8.count) bytes in \(format((clock.now - start).seconds)) s -> \(directory.path)")
    }

    private static func readInput(_ file: String?) throws -> [UInt8] {
        if let file {
            do { return [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) } catch {
                throw TokenizerError.unreadable(file: file, reason: error.localizedDescription)
            }
        }
        return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }

    private static func parseIDs(_ input: [UInt8], source: String) throws -> [Int] {
        let value = try JSONParser.parse(input, source: source)
        guard let items = value.arrayValue else { throw TokenizerError.badInput(source: source, reason: "expected a JSON array of token ids") }
        return try items.enumerated().map { index, item in
            guard case .int(let id) = item else {
                throw TokenizerError.badInput(source: source, reason: "element \(index) is not an integer token id")
            }
            return id
        }
    }

    private static func jsonlStats(_ tokenizer: TiktokenTokenizer, _ url: URL) throws {
        let clock = ThreadCPUClock()
        var readTime = 0.0, parseTime = 0.0, tokenizeTime = 0.0
        var records = 0, textBytes = 0, tokens = 0
        let reader = try JSONLReader(url: url)
        var lineBytes = 0
        while true {
            let t0 = clock.now
            guard let line = try reader.nextLine() else { break }
            lineBytes += line.bytes.count + 1
            let t1 = clock.now
            readTime += t1 - t0
            if line.bytes.isEmpty { continue }
            let value: JSONValue
            do { value = try JSONParser.parse(line.bytes, source: url.path) } catch let error as JSONSyntaxError {
                throw StreamingError.invalidRecord(file: url.path, line: line.line, column: error.column, message: error.message)
            }
            parseTime += clock.now - t1
            records += 1
            var strings: [String] = []
            collectStrings(value, into: &strings)
            let t2 = clock.now
            for s in strings {
                textBytes += s.utf8.count
                tokens += tokenizer.encode(s).count
            }
            tokenizeTime += clock.now - t2
        }
        let megabytes = Double(lineBytes) / 1e6
        print("records \(records)  jsonl bytes \(lineBytes)  read seconds \(format(readTime)) (\(format(megabytes / readTime)) MB/s)  parse seconds \(format(parseTime)) (\(format(megabytes / parseTime)) MB/s)  (thread CPU time)")
        print("text bytes \(textBytes)  tokens \(tokens)  tokenize seconds \(format(tokenizeTime))  MB/s \(format(Double(textBytes) / 1e6 / tokenizeTime))")
    }

    private static func collectStrings(_ value: JSONValue, into out: inout [String]) {
        switch value {
        case .string(let s): out.append(s)
        case .array(let a): for v in a { collectStrings(v, into: &out) }
        case .object(let o): for (_, v) in o.pairs { collectStrings(v, into: &out) }
        default: break
        }
    }

    private static func format(_ x: Double) -> String { String(format: "%.3f", x) }
}

private extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// CPU time of the calling thread: throughput figures on a shared machine should not count the
/// time other processes held the core.
private struct ThreadCPUClock {
    var now: Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
