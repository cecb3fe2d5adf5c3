/// FP8 e4m3 ("float8_e4m3fn": 1 sign, 4 exponent bits with bias 7, 3 mantissa bits, no
/// infinities, S.1111.111 is NaN) as stored by the first Kimi-K2-Instruct release, with one F32
/// `weight_scale_inv` per 128x128 block: W[r, c] = fp8(r, c) * scale_inv[r / 128, c / 128].
public enum FP8E4M3 {
    /// Every one of the 256 codes decoded once, so dequantizing is a table lookup.
    public static let table: [Float] = (0..<256).map { decode(UInt8($0)) }

    public static func decode(_ code: UInt8) -> Float {
        let sign: Float = code & 0x80 != 0 ? -1 : 1
        let exponent = Int((code >> 3) & 0xF)
        let mantissa = Float(code & 0x7)
        if exponent == 0xF && code & 0x7 == 0x7 { return .nan }
        if exponent == 0 { return sign * mantissa / 8 * Float(sign: .plus, exponent: -6, significand: 1) }
        return sign * (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }

    /// The block edge Kimi uses for `weight_scale_inv`.
    public static let blockSize = 128

    /// Dequantizes an FP8 weight [rows, columns] with block scales
    /// [ceil(rows / block), ceil(columns / block)] into `destination` (rows x columns floats).
    public static func dequantize(codes: UnsafeRawPointer, rows: Int, columns: Int,
                                  scaleInverse: UnsafePointer<Float>, block: Int = blockSize,
                                  into destination: UnsafeMutablePointer<Float>) {
        let blockColumns = (columns + block - 1) / block
        table.withUnsafeBufferPointer { lookup in
            let lut = lookup.baseAddress!
            let bytes = codes.assumingMemoryBound(to: UInt8.self)
            for r in 0..<rows {
                let scaleRow = scaleInverse + (r / block) * blockColumns
                let source = bytes + r * columns
                let out = destination + r * columns
                for c in 0..<columns { out[c] = lut[Int(source[c])] * scaleRow[c / block] }
            }
        }
    }
}
