import Autograd
import Foundation

/// `kimi-sft bench`: measured throughput of the building blocks. One command with one flag per
/// benchmark (`--sgemm` now; SFT tokens/sec joins later) so results share options and output style.
enum BenchCommand: Subcommand {
    static let name = "bench"
    static let abstract = "Measure throughput (sgemm GFLOP/s)."
    static let discussion = """
        --sgemm times an n x n x n single-precision matrix product through OpenBLAS and prints the \
        median GFLOP/s (2 n^3 floating-point operations per product) over --repeats timed runs after \
        one warm-up run.
        """
    static let options: [OptionSpec] = [
        .flag("sgemm", help: "Benchmark cblas_sgemm."),
        .value("size", "n", help: "Matrix size for --sgemm (default 1024)."),
        .value("threads", "n", help: "OpenBLAS threads (default: all cores)."),
        .value("repeats", "n", help: "Timed runs; the median is reported (default 7)."),
    ]

    static func run(_ arguments: ParsedArguments) throws {
        try arguments.positionalCount(0...0, "none")
        guard arguments.has("sgemm") else {
            throw UsageError("Choose a benchmark: --sgemm.", command: name)
        }
        let size = try positive(arguments, "size", default: 1024)
        let threads = try positive(arguments, "threads", default: ProcessInfo.processInfo.activeProcessorCount)
        let repeats = try positive(arguments, "repeats", default: 7)
        BLAS.setThreadCount(threads)
        let result = sgemmThroughput(size: size, repeats: repeats)
        print("sgemm \(size)x\(size)x\(size), \(BLAS.threadCount) BLAS thread(s), \(repeats) runs: "
              + "median \(format(result.median)) GFLOP/s (min \(format(result.minimum)), max \(format(result.maximum)))")
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
}
