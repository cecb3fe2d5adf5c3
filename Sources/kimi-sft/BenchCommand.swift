import Autograd
import Storage
import Foundation
import Trainer

/// `kimi-sft bench`: measured throughput. The default (`--sft`) is SFT training tokens/sec on a
/// model folder; `--sgemm` and `--attention` time the building blocks. One command, one flag per
/// benchmark, so results share options and output style.
enum BenchCommand: Subcommand {
    static let name = "bench"
    static let abstract = "Measure SFT training tokens/sec (default), sgemm GFLOP/s or attention."
    static let discussion = """
        --sft (the default, needs --model) times optimizer steps of LoRA SFT as LLaMA-Factory and \
        KTransformers measure it: each step runs --accumulation micro-batches of one --seq-len-token \
        sequence (seeded random ids, the first half masked as prompt) through forward, backward, \
        clipping and AdamW; tokens/s = accumulation x seq-len / step wall time. It prints every step \
        and the median step's processed and supervised tokens/s and the peak resident memory.
        --sgemm times an n x n x n single-precision matrix product through OpenBLAS and prints the \
        median GFLOP/s (2 n^3 floating-point operations per product) over --repeats timed runs after \
        one warm-up run. --attention times the causal attention kernels (forward, then backward) on \
        random q, k, v [tokens, heads, 192] / [tokens, heads, 128] (Kimi's MLA head widths) and reports \
        seconds and the peak resident memory, which shows the score scratch stays bounded.
        """
    static let options: [OptionSpec] = [
        .flag("sft", help: "Benchmark SFT training tokens/sec (the default)."),
        .value("model", "dir", help: "Model folder for --sft (e.g. from 'kimi-sft init --preset small')."),
        .value("seq-len", "n", help: "Tokens per sequence for --sft (default 512)."),
        .value("accumulation", "n", help: "Micro-batches per optimizer step for --sft (default 16)."),
        .value("steps", "n", help: "Timed optimizer steps for --sft (default 3)."),
        .value("rank", "n", help: "LoRA rank for --sft (default 8)."),
        .value("target", "modules", help: "LoRA targets for --sft: all, or a comma-separated list (default all)."),
        .flag("sgemm", help: "Benchmark cblas_sgemm."),
        .flag("attention", help: "Benchmark the causal attention kernels."),
        .flag("int4", help: "Benchmark INT4 expert dequantization (one K2.5 gate_proj, 2048 x 7168, group 32)."),
        .value("tokens", "n", help: "Tokens for --attention (default 2048)."),
        .value("heads", "n", help: "Heads for --attention (default 8)."),
        .value("size", "n", help: "Matrix size for --sgemm (default 1024)."),
        .value("threads", "n", help: "OpenBLAS threads and kernel workers (default: all cores)."),
        .value("repeats", "n", help: "Timed runs; the median is reported (default 7)."),
    ]

    static func run(_ arguments: ParsedArguments) throws {
        try arguments.positionalCount(0...0, "none")
        let threads = try positive(arguments, "threads", default: ProcessInfo.processInfo.activeProcessorCount)
        BLAS.setThreadCount(threads)
        Parallel.workerCount = threads
        if arguments.has("sft") || !(arguments.has("sgemm") || arguments.has("attention") || arguments.has("int4")) {
            guard let model = arguments.value("model") else {
                throw UsageError("--sft needs --model <dir> (or choose --sgemm / --attention).", command: name)
            }
            var settings = SFTBenchmark.Settings(modelPath: model)
            settings.sequenceLength = try positive(arguments, "seq-len", default: settings.sequenceLength)
            guard settings.sequenceLength >= 2 else { throw UsageError("Option '--seq-len' must be at least 2.", command: name) }
            settings.accumulation = try positive(arguments, "accumulation", default: settings.accumulation)
            settings.steps = try positive(arguments, "steps", default: settings.steps)
            settings.rank = try positive(arguments, "rank", default: settings.rank)
            if let target = arguments.value("target") {
                settings.targets = target.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                guard !settings.targets.isEmpty else { throw UsageError("Option '--target' names no module.", command: name) }
            }
            let result = try SFTBenchmark.run(settings) { line in printError(line) }
            for line in result.lines { print(line) }
            return
        }
        if arguments.has("attention") {
            try runAttention(tokens: positive(arguments, "tokens", default: 2048), heads: positive(arguments, "heads", default: 8))
        }
        if arguments.has("int4") {
            runDequantization(repeats: try positive(arguments, "repeats", default: 7))
        }
        guard arguments.has("sgemm") else { return }
        let size = try positive(arguments, "size", default: 1024)
        let repeats = try positive(arguments, "repeats", default: 7)
        let result = sgemmThroughput(size: size, repeats: repeats)
        print("sgemm \(size)x\(size)x\(size), OpenBLAS \(BLAS.coreName) kernels, \(BLAS.threadCount) BLAS thread(s), \(repeats) runs: "
              + "median \(format(result.median)) GFLOP/s (min \(format(result.minimum)), max \(format(result.maximum)))")
    }

    /// Dequantizes one real-size K2.5 expert matrix (gate_proj [2048, 7168], group 32) from random
    /// packed codes and scales, the per-expert cost every routed-expert forward and backward pays.
    static func runDequantization(repeats: Int) {
        let rows = 2048, columns = 7168, groupSize = 32
        var rng = SplitMix64(seed: 1)
        let words = (0..<(rows * columns / 8)).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
        let scales = (0..<(rows * columns / groupSize)).map { _ in BFloat16.fromFloat(Float(rng.nextUnit() * 0.01)) }
        let output = Tensor(shape: [rows, columns])
        var times: [Double] = []
        words.withUnsafeBufferPointer { w in scales.withUnsafeBufferPointer { s in
            let matrix = PackedInt4Matrix(rows: rows, columns: columns, groupSize: groupSize, packed: w.baseAddress!,
                                          scales: s.baseAddress!, owner: nil)
            matrix.dequantize(rows: 0..<rows, into: output.pointer)   // warm-up
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                matrix.dequantize(rows: 0..<rows, into: output.pointer)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        } }
        let median = times.sorted()[times.count / 2]
        let elements = Double(rows * columns)
        print("int4 dequantize \(rows)x\(columns) (group \(groupSize)), \(Parallel.workerCount) worker(s), \(repeats) runs: median "
              + String(format: "%.2f ms, %.2f G weights/s (%.1f GB/s written)", median * 1e3, elements / median / 1e9, 4 * elements / median / 1e9))
    }

    static func positive(_ arguments: ParsedArguments, _ option: String, default value: Int) throws -> Int {
        guard let given = try arguments.integer(option) else { return value }
        guard given >= 1 else { throw UsageError("Option '--\(option)' must be at least 1, got \(given).", command: name) }
        return given
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    /// GFLOP/s of C = A B for n x n matrices: one untimed warm-up (thread start-up, page faults),
    /// then `repeats` timed runs.
    static func sgemmThroughput(size n: Int, repeats: Int) -> (median: Double, minimum: Double, maximum: Double) {
        var generator = SplitMix64(seed: 1)
        let a = Tensor(shape: [n, n]) { _ in Float(generator.nextUnit()) - 0.5 }
        let b = Tensor(shape: [n, n]) { _ in Float(generator.nextUnit()) - 0.5 }
        let c = Tensor(shape: [n, n])
        let product = { BLAS.gemm(m: n, n: n, k: n, a: a.pointer, b: b.pointer, c: c.pointer) }
        product()
        let clock = ContinuousClock()
        var rates: [Double] = []
        for _ in 0..<repeats {
            let elapsed = clock.measure(product)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            rates.append(2 * Double(n) * Double(n) * Double(n) / seconds / 1e9)
        }
        rates.sort()
        return (rates[rates.count / 2], rates.first!, rates.last!)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// One forward and one backward of causal attention with Kimi's head widths (192 for q/k,
    /// 128 for v); FLOPs count the causal half of the score and value products.
    static func runAttention(tokens T: Int, heads H: Int) {
        let Dq = 192, Dv = 128
        var generator = SplitMix64(seed: 2)
        func random(_ count: Int) -> Tensor { Tensor(shape: [count]) { _ in Float(generator.nextUnit()) - 0.5 } }
        let q = random(T * H * Dq), k = random(T * H * Dq), v = random(T * H * Dv), g = random(T * H * Dv)
        let output = Tensor(shape: [T * H * Dv]), logSumExp = Tensor(shape: [H * T])
        let dq = Tensor(shape: [T * H * Dq]), dk = Tensor(shape: [T * H * Dq]), dv = Tensor(shape: [T * H * Dv])
        let scale = 1 / Float(Dq).squareRoot()
        let clock = ContinuousClock()
        let forward = clock.measure {
            Kernels.causalAttentionForward(q: q.pointer, k: k.pointer, v: v.pointer, tokens: T, heads: H, qkDim: Dq, vDim: Dv,
                                           scale: scale, segmentIds: nil, output: output.pointer, logSumExp: logSumExp.pointer)
        }
        let backward = clock.measure {
            Kernels.causalAttentionBackward(q: q.pointer, k: k.pointer, v: v.pointer, output: output.pointer,
                                            logSumExp: logSumExp.pointer, outputGradient: g.pointer, tokens: T, heads: H,
                                            qkDim: Dq, vDim: Dv, scale: scale, segmentIds: nil,
                                            qGradient: dq.pointer, kGradient: dk.pointer, vGradient: dv.pointer)
        }
        let causalPairs = Double(T) * Double(T + 1) / 2 * Double(H)
        let forwardFlops = 2 * causalPairs * Double(Dq + Dv), backwardFlops = 2 * causalPairs * Double(2 * Dq + 2 * Dv + Dq)
        let tensorMiB = Double((3 * T * H * Dq + 3 * T * H * Dv) * 4 + 2 * T * H * Dv * 4) / 1_048_576
        print("attention T=\(T) H=\(H) Dq=\(Dq) Dv=\(Dv): forward \(String(format: "%.3f", seconds(forward))) s "
              + "(\(format(forwardFlops / seconds(forward) / 1e9)) GFLOP/s), backward \(String(format: "%.3f", seconds(backward))) s "
              + "(\(format(backwardFlops / seconds(backward) / 1e9)) GFLOP/s); tensors \(format(tensorMiB)) MiB, "
              + "peak resident \(peakResidentMiB().map(format) ?? "?") MiB")
    }

    /// VmHWM from /proc/self/status (Linux), in MiB; nil elsewhere.
    static func peakResidentMiB() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kib / 1024
    }
}
