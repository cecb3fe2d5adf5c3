import Autograd
import Storage

/// Which of `Int4Quantizer`'s scale conventions the base checkpoint's codes follow: the one that,
/// applied to the dequantized weight, gives back the stored codes and scales bit for bit.
/// Re-quantizing merged experts with any other convention would move every untouched weight too.
public struct ScaleConventionDetection: Sendable, CustomStringConvertible {
    public struct Candidate: Sendable {
        public let convention: Int4Quantizer.ScaleConvention
        /// Sampled modules whose packed words and scales are reproduced exactly.
        public let exactModules: Int
        /// Packed words (8 codes each) and scales that differ, over all sampled modules.
        public let differingWords: Int
        public let differingScales: Int
    }

    public let convention: Int4Quantizer.ScaleConvention
    public let sampledModules: [String]
    public let candidates: [Candidate]

    /// Whether the chosen convention reproduces every sampled module bit for bit.
    public var isExact: Bool { candidates.first { $0.convention == convention }?.exactModules == sampledModules.count }

    public var description: String {
        let detail = candidates.map { "\($0.convention.rawValue): \($0.exactModules)/\(sampledModules.count) modules exact" }
        return "scale convention \(convention.rawValue) (\(isExact ? "reproduces the base's codes bit for bit" : "closest; no convention is exact")"
            + "; \(detail.joined(separator: ", ")))"
    }

    /// Tries every convention on up to `limit` INT4 modules (in the given order). Nil when there are none.
    public static func detect(store: any WeightStore, modules: [String], limit: Int = 4) throws -> ScaleConventionDetection? {
        var sampled: [(String, PackedInt4Matrix)] = []
        for module in modules where sampled.count < limit {
            if let m = try store.packedInt4(module: module) { sampled.append((module, m)) }
        }
        guard !sampled.isEmpty else { return nil }
        var candidates: [Candidate] = []
        for convention in Int4Quantizer.ScaleConvention.allCases {
            var exact = 0, words = 0, scales = 0
            for (_, matrix) in sampled {
                let weights = matrix.dequantized()
                let again = Int4Quantizer.quantize(weights.pointer, rows: matrix.rows, columns: matrix.columns,
                                                   groupSize: matrix.groupSize, convention: convention)
                let w = countDifferences(again.packed, matrix.packed, matrix.rows * matrix.wordsPerRow)
                let s = countDifferences(again.scales, matrix.scales, matrix.rows * matrix.groupsPerRow)
                if w == 0 && s == 0 { exact += 1 }
                words += w; scales += s
            }
            candidates.append(Candidate(convention: convention, exactModules: exact, differingWords: words, differingScales: scales))
        }
        let best = candidates.min { a, b in
            (a.exactModules, -(a.differingWords + a.differingScales)) > (b.exactModules, -(b.differingWords + b.differingScales))
        }!
        return ScaleConventionDetection(convention: best.convention, sampledModules: sampled.map(\.0), candidates: candidates)
    }

    private static func countDifferences<T: Equatable>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ count: Int) -> Int {
        var n = 0
        for i in 0..<count where a[i] != b[i] { n += 1 }
        return n
    }
}
