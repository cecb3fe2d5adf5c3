import Autograd

/// A compressed-tensors `pack-quantized` INT4 weight [rows = out, columns = in], kept packed.
///
/// `packed[r, j]` (int32) holds input columns 8j..8j+7 of row r, column 8j+k as the unsigned nibble
/// q + 8 in bits 4k..4k+3; `scales[r, c / groupSize]` are BF16. Dequantizing is
/// W[r, c] = (nibble - 8) * scale. The buffers are views into memory-mapped shards (or arrays held
/// by `owner`), so an expert costs nothing until a micro-batch routes tokens to it.
public struct PackedInt4Matrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    public let groupSize: Int
    /// [rows, columns / 8] little-endian int32 words.
    public let packed: UnsafePointer<UInt32>
    /// [rows, ceil(columns / groupSize)] BF16 bits.
    public let scales: UnsafePointer<UInt16>
    /// Keeps the memory behind the pointers alive (a mapped file or an owned buffer).
    public let owner: AnyObject?

    public init(rows: Int, columns: Int, groupSize: Int, packed: UnsafePointer<UInt32>,
                scales: UnsafePointer<UInt16>, owner: AnyObject?) {
        precondition(columns % 8 == 0, "INT4 columns \(columns) not a multiple of 8")
        precondition(groupSize > 0, "group size \(groupSize)")
        self.rows = rows; self.columns = columns; self.groupSize = groupSize
        self.packed = packed; self.scales = scales; self.owner = owner
    }

    public var wordsPerRow: Int { columns / 8 }
    public var groupsPerRow: Int { (columns + groupSize - 1) / groupSize }

    /// Dequantizes rows `rowRange` into `destination` ([rowRange.count, columns], row-major), exactly:
    /// (nibble - 8) * scale in Float32 (transformers evaluates it in BF16; see KIMI-FORMAT.md §8).
    public func dequantize(rows rowRange: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let wpr = wordsPerRow, gpr = groupsPerRow, cols = columns, g = groupSize
        Parallel.forEachChunk(rowRange.count, cost: cols) { chunk in
            for local in chunk {
                let r = rowRange.lowerBound + local
                let words = packed + r * wpr
                let rowScales = scales + r * gpr
                let out = destination + local * cols
                if g % 8 == 0 {
                    // Whole words per group (group_size 32 = 4 words): one scale load per group.
                    let wordsPerGroup = g / 8
                    for group in 0..<gpr {
                        let scale = BFloat16.toFloat(UInt16(littleEndian: rowScales[group]))
                        let firstWord = group * wordsPerGroup
                        let lastWord = min(firstWord + wordsPerGroup, wpr)
                        for j in firstWord..<lastWord {
                            let word = UInt32(littleEndian: words[j])
                            let o = out + j * 8
                            o[0] = Float(Int32(word & 0xF) - 8) * scale
                            o[1] = Float(Int32((word >> 4) & 0xF) - 8) * scale
                            o[2] = Float(Int32((word >> 8) & 0xF) - 8) * scale
                            o[3] = Float(Int32((word >> 12) & 0xF) - 8) * scale
                            o[4] = Float(Int32((word >> 16) & 0xF) - 8) * scale
                            o[5] = Float(Int32((word >> 20) & 0xF) - 8) * scale
                            o[6] = Float(Int32((word >> 24) & 0xF) - 8) * scale
                            o[7] = Float(Int32(word >> 28) - 8) * scale
                        }
                    }
                } else {
                    for j in 0..<wpr {
                        let word = UInt32(littleEndian: words[j])
                        let base = j * 8
                        for k in 0..<8 {
                            let c = base + k
                            let q = Int32((word >> UInt32(4 * k)) & 0xF) - 8
                            out[c] = Float(q) * BFloat16.toFloat(UInt16(littleEndian: rowScales[c / g]))
                        }
                    }
                }
            }
        }
    }

    /// The whole matrix as a new Float32 tensor [rows, columns].
    public func dequantized() -> Tensor {
        let t = Tensor(shape: [rows, columns])
        dequantize(rows: 0..<rows, into: t.pointer)
        return t
    }
}
