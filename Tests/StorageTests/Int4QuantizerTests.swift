import Autograd
import Testing
import TestSupport
@testable import Storage

@Suite("INT4 pack-quantized")
struct Int4QuantizerTests {
    /// KIMI-FORMAT.md §3: q = [1, -2, 0, 7, -8, 3, -1, 2] -> word 0xA7B0F869, bytes 69 F8 B0 A7.
    static let vectorCodes: [Float] = [1, -2, 0, 7, -8, 3, -1, 2]
    static let vectorWord: UInt32 = 0xA7B0_F869

    @Test("the KIMI-FORMAT test vector dequantizes to its codes")
    func dequantizesTestVector() {
        var word = Self.vectorWord.littleEndian
        var scale = BFloat16.fromFloat(1).littleEndian
        let values = withUnsafePointer(to: &word) { p in
            withUnsafePointer(to: &scale) { s in
                PackedInt4Matrix(rows: 1, columns: 8, groupSize: 32, packed: p, scales: s, owner: nil).dequantized().array
            }
        }
        #expect(values == Self.vectorCodes)
        #expect(withUnsafeBytes(of: word) { Array($0) } == [0x69, 0xF8, 0xB0, 0xA7])
    }

    @Test("packing reproduces the test vector (absmax/7.5, -7.5 rounds half to even to -8)")
    func packsTestVector() {
        let x: [Float] = [1, -2, 0, 7, -7.5, 3, -1, 2]   // absmax 7.5 -> scale exactly 1
        let owned = x.withUnsafeBufferPointer {
            Int4Quantizer.quantize($0.baseAddress!, rows: 1, columns: 8, groupSize: 32, convention: .absmax7point5)
        }
        #expect(UInt32(littleEndian: owned.packed[0]) == Self.vectorWord)
        #expect(BFloat16.toFloat(UInt16(littleEndian: owned.scales[0])) == 1)
    }

    /// Random weights with a spread of magnitudes per group.
    static func randomWeights(rows: Int, columns: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<(rows * columns)).map { i in Float(rng.nextGaussian()) * (0.01 + Float(i % 5) * 0.02) }
    }

    @Test("re-quantizing a dequantized absmax/7 weight reproduces codes and scales bit for bit",
          arguments: [(1, 8, 32), (2, 32, 32), (3, 64, 32), (7, 40, 32), (9, 96, 16), (64, 256, 32)])
    func requantizationIsAFixedPoint(rows: Int, columns: Int, groupSize: Int) {
        let w = Self.randomWeights(rows: rows, columns: columns, seed: UInt64(rows * 1000 + columns))
        let first = w.withUnsafeBufferPointer {
            Int4Quantizer.quantize($0.baseAddress!, rows: rows, columns: columns, groupSize: groupSize, convention: .absmax7)
        }
        let dequantized = first.matrix.dequantized()
        let second = Int4Quantizer.quantize(dequantized.pointer, rows: rows, columns: columns, groupSize: groupSize, convention: .absmax7)
        let words = rows * columns / 8, scales = rows * first.groupsPerRow
        #expect(Array(UnsafeBufferPointer(start: first.packed, count: words)) == Array(UnsafeBufferPointer(start: second.packed, count: words)))
        #expect(Array(UnsafeBufferPointer(start: first.scales, count: scales)) == Array(UnsafeBufferPointer(start: second.scales, count: scales)))
    }

    @Test("quantization error is at most half a step; codes stay in range", arguments: Int4Quantizer.ScaleConvention.allCases)
    func errorBound(convention: Int4Quantizer.ScaleConvention) {
        let rows = 5, columns = 64, groupSize = 32
        let w = Self.randomWeights(rows: rows, columns: columns, seed: 7)
        let q = w.withUnsafeBufferPointer {
            Int4Quantizer.quantize($0.baseAddress!, rows: rows, columns: columns, groupSize: groupSize, convention: convention)
        }
        let d = q.matrix.dequantized().array
        var worstExcess: Float = -1
        for r in 0..<rows {
            for c in 0..<columns {
                let scale = BFloat16.toFloat(UInt16(littleEndian: q.scales[r * q.groupsPerRow + c / groupSize]))
                let code = d[r * columns + c] / scale
                #expect(code >= (convention == .absmax7 ? -7 : -8) && code <= 7)
                // absmax maps to 7 or 7.5 steps; BF16 rounding of the scale can push one value a
                // little past the last code, hence the 0.55 bound rather than 0.5.
                worstExcess = max(worstExcess, abs(d[r * columns + c] - w[r * columns + c]) - 0.55 * scale)
            }
        }
        #expect(worstExcess <= 0, "worst error exceeds 0.55 steps by \(worstExcess)")
    }

    @Test("an all-zero group gets scale 0 and codes 0")
    func zeroGroup() {
        let w = [Float](repeating: 0, count: 32)
        let q = w.withUnsafeBufferPointer { Int4Quantizer.quantize($0.baseAddress!, rows: 1, columns: 32, groupSize: 32, convention: .absmax7) }
        #expect(q.scales[0] == 0)
        #expect(q.matrix.dequantized().array == w)
    }
}

@Suite("FP8 e4m3")
struct FP8Tests {
    @Test("decodes normal, subnormal, negative, max and NaN codes")
    func decode() {
        #expect(FP8E4M3.decode(0x38) == 1)
        #expect(FP8E4M3.decode(0xC0) == -2)
        #expect(FP8E4M3.decode(0x7E) == 448)
        #expect(FP8E4M3.decode(0x01) == 0.001953125)   // 2^-9, smallest subnormal
        #expect(FP8E4M3.decode(0x3C) == 1.5)
        #expect(FP8E4M3.decode(0x7F).isNaN && FP8E4M3.decode(0xFF).isNaN)
        #expect(FP8E4M3.decode(0x80) == 0 && FP8E4M3.decode(0x80).sign == .minus)
    }

    @Test("block-scaled dequantization applies one scale per 128x128 block")
    func blocks() {
        let rows = 130, columns = 129
        let codes = [UInt8](repeating: 0x38, count: rows * columns)          // all 1.0
        let scales: [Float] = [1, 2, 3, 4]                                   // [2, 2] blocks
        var out = [Float](repeating: 0, count: rows * columns)
        codes.withUnsafeBytes { c in
            scales.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    FP8E4M3.dequantize(codes: c.baseAddress!, rows: rows, columns: columns, scaleInverse: s.baseAddress!, into: o.baseAddress!)
                }
            }
        }
        #expect(out[0] == 1 && out[128] == 2 && out[128 * columns] == 3 && out[129 * columns + 128] == 4)
    }
}

@Suite struct Int4DequantizationPathTests {
    /// The per-group fast path (group a multiple of 8) and the per-element path (any other group
    /// size) both equal the definition W[r, c] = (nibble - 8) * scale[r, c / g].
    @Test(arguments: [(3, 64, 32), (2, 40, 8), (3, 24, 12), (2, 48, 20), (1, 16, 128)])
    func bothPathsMatchTheDefinition(rows: Int, columns: Int, groupSize: Int) {
        var rng = SplitMix64(seed: UInt64(columns * 31 + groupSize))
        let words = (0..<(rows * columns / 8)).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
        let groups = (columns + groupSize - 1) / groupSize
        let scales = (0..<(rows * groups)).map { _ in BFloat16.fromFloat(Float(rng.nextUnit() * 0.1 + 0.001)) }
        let values = words.withUnsafeBufferPointer { w in scales.withUnsafeBufferPointer { s in
            PackedInt4Matrix(rows: rows, columns: columns, groupSize: groupSize, packed: w.baseAddress!, scales: s.baseAddress!, owner: nil)
                .dequantized().array
        } }
        for r in 0..<rows { for c in 0..<columns {
            let nibble = Int32((words[r * columns / 8 + c / 8] >> UInt32(4 * (c % 8))) & 0xF)
            let expected = Float(nibble - 8) * BFloat16.toFloat(scales[r * groups + c / groupSize])
            #expect(values[r * columns + c] == expected, "r \(r) c \(c)")
        } }
    }
}
