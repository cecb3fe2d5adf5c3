import Autograd
import Foundation

/// Picks OpenBLAS's kernels when its own CPU detection falls back to the generic ones.
///
/// Debian's OpenBLAS chooses its kernels by CPU model when the library loads. On virtual CPUs that
/// report a generic model name ("Intel(R) Xeon(R) Processor") it falls back to Prescott (SSE3)
/// kernels even when the CPU has AVX-512: 65 GFLOP/s instead of 305 on this project's machine
/// (BENCHMARKS.md). The choice can only be made before the library loads, through
/// OPENBLAS_CORETYPE, so the CLI sets it from the CPU's flags and re-executes itself once.
/// Nothing happens when OPENBLAS_CORETYPE is already set (an environment that pins it, e.g. for a
/// CPU where newer kernels misbehave, is respected) or when KIMI_SFT_OPENBLAS_AUTOCORE=0.
enum BLASCoreSelection {
    static let marker = "KIMI_SFT_OPENBLAS_REEXEC"

    static func apply() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["KIMI_SFT_OPENBLAS_AUTOCORE"] != "0", env[marker] == nil else { return }
        guard BLAS.coreName == "Prescott", let core = preferredCore() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(marker, "1", 1)
        let arguments = CommandLine.arguments
        var cArguments = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArguments)
        // execv returns only on failure: carry on with the generic kernels.
        for pointer in cArguments { free(pointer) }
        unsetenv("OPENBLAS_CORETYPE")
    }

    /// SkylakeX for AVX-512 (F, BW, DQ, VL), Haswell for AVX2 + FMA, else nil; from /proc/cpuinfo.
    static func preferredCore() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }
}
