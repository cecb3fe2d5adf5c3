import Autograd

/// Packs Float32 weights into compressed-tensors' pack-quantized INT4 format (symmetric, one BF16
/// scale per `groupSize` columns of a row): the inverse of `PackedInt4Matrix.dequantize`, used
/// by `init` and by merge-and-requantize.
public enum Int4Quantizer {
    /// How a group's scale follows from its largest magnitude.
    public enum ScaleConvention: String, Sendable, CaseIterable {
        /// compressed-tensors' default: scale = absmax / 7.5, codes in [-8, 7].
        case absmax7point5
        /// Moonshot's released Kimi codes are a fixed point of this one: scale = absmax / 7,
        /// codes in [-7, 7] (15 levels). Re-quantizing a dequantized Kimi weight with it gives the
        /// original codes and scales back bit for bit.
        case absmax7

        var divisor: Float { self == .absmax7 ? 7 : 7.5 }
        var minimumCode: Float { self == .absmax7 ? -7 : -8 }
        var maximumCode: Float { 7 }
    }

    /// Quantizes `weights` [rows, columns] (columns a multiple of 8) into `packed`
    /// [rows, columns / 8] little-endian int32 words and `scales` [rows, ceil(columns / groupSize)]
    /// BF16 bits. The scale is rounded to BF16 first and codes are computed against that stored
    /// scale: q = clamp(round_half_even(x / scale), min, max), as compressed-tensors does.
    public static func quantize(_ weights: UnsafePointer<Float>, rows: Int, columns: Int, groupSize: Int,
                                convention: ScaleConvention,
                                packed: UnsafeMutablePointer<UInt32>, scales: UnsafeMutablePointer<UInt16>) {
        precondition(columns % 8 == 0, "INT4 columns \(columns) not a multiple of 8")
        precondition(groupSize > 0, "group size \(groupSize)")
        let groups = (columns + groupSize - 1) / groupSize
        let wordsPerRow = columns / 8
        let divisor = convention.divisor, low = convention.minimumCode, high = convention.maximumCode
        Parallel.forEachChunk(rows, cost: columns) { chunk in
            for r in chunk {
                let row = weights + r * columns
                let rowScales = scales + r * groups
                let rowWords = packed + r * wordsPerRow
                for j in 0..<wordsPerRow { rowWords[j] = 0 }
                for g in 0..<groups {
                    let start = g * groupSize, end = min(columns, start + groupSize)
                    var absmax: Float = 0
                    for c in start..<end { absmax = max(absmax, abs(row[c])) }
                    let scaleBits = BFloat16.fromFloat(absmax / divisor)
                    rowScales[g] = scaleBits.littleEndian
                    let scale = BFloat16.toFloat(scaleBits)
                    for c in start..<end {
                        var q: Float = 0
                        if scale != 0 {
                            q = (row[c] / scale).rounded(.toNearestOrEven)
                            q = min(max(q, low), high)
                        }
                        let nibble = UInt32(Int32(q) + 8) & 0xF
                        rowWords[c / 8] |= nibble << UInt32(4 * (c % 8))
                    }
                }
                for j in 0..<wordsPerRow { rowWords[j] = rowWords[j].littleEndian }
            }
        }
    }

    /// An owned packed matrix for `weights` [rows, columns].
    public static func quantize(_ weights: UnsafePointer<Float>, rows: Int, columns: Int, groupSize: Int,
                                convention: ScaleConvention) -> OwnedPackedInt4 {
        let owned = OwnedPackedInt4(rows: rows, columns: columns, groupSize: groupSize)
        quantize(weights, rows: rows, columns: columns, groupSize: groupSize, convention: convention,
                 packed: owned.packed, scales: owned.scales)
        return owned
    }
}

/// Packed INT4 buffers owned on the heap (what the quantizer produces), viewable as a
/// `PackedInt4Matrix` and writable as the three safetensors tensors of a module.
public final class OwnedPackedInt4: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    public let groupSize: Int
    public let packed: UnsafeMutablePointer<UInt32>
    public let scales: UnsafeMutablePointer<UInt16>

    public init(rows: Int, columns: Int, groupSize: Int) {
        self.rows = rows; self.columns = columns; self.groupSize = groupSize
        packed = .allocate(capacity: max(rows * columns / 8, 1))
        packed.initialize(repeating: 0, count: max(rows * columns / 8, 1))
        let scaleCount = max(rows * ((columns + groupSize - 1) / groupSize), 1)
        scales = .allocate(capacity: scaleCount)
        scales.initialize(repeating: 0, count: scaleCount)
    }

    deinit { packed.deallocate(); scales.deallocate() }

    public var groupsPerRow: Int { (columns + groupSize - 1) / groupSize }
    public var packedBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: packed, count: rows * columns / 2) }
    public var scaleBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: scales, count: rows * groupsPerRow * 2) }

    public var matrix: PackedInt4Matrix {
        PackedInt4Matrix(rows: rows, columns: columns, groupSize: groupSize, packed: packed, scales: scales, owner: self)
    }

    /// The module's tensor specs: weight_packed I32, weight_scale BF16, weight_shape I32 [2].
    public static func specs(module: String, rows: Int, columns: Int, groupSize: Int) -> [TensorSpec] {
        [TensorSpec(name: module + ".weight_packed", dtype: .int32, shape: [rows, columns / 8]),
         TensorSpec(name: module + ".weight_scale", dtype: .bfloat16, shape: [rows, (columns + groupSize - 1) / groupSize]),
         TensorSpec(name: module + ".weight_shape", dtype: .int32, shape: [2])]
    }
}
