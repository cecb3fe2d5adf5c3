/// BF16 <-> Float32 conversion, bit-exact with PyTorch (`tensor.to(torch.bfloat16)`):
/// round to nearest even on the dropped 16 bits, NaN kept as a quiet NaN with its sign.
public enum BFloat16 {
    @inline(__always)
    public static func toFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    @inline(__always)
    public static func fromFloat(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN {
            // Keep the sign, force a quiet-NaN mantissa bit so truncation cannot yield infinity.
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        let lsb = (bits >> 16) & 1
        let rounded = bits &+ 0x7FFF &+ lsb
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// Rounds a Float32 to the nearest BF16-representable value (what a BF16 store then load gives).
    @inline(__always)
    public static func round(_ value: Float) -> Float { toFloat(fromFloat(value)) }

    /// Converts `count` BF16 values (as raw little-endian UInt16 bits) to Float32.
    public static func convert(_ source: UnsafePointer<UInt16>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] = toFloat(UInt16(littleEndian: source[i])) }
    }

    /// Converts `count` Float32 values to BF16 bits (little-endian on disk).
    public static func convert(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { destination[i] = fromFloat(source[i]).littleEndian }
    }
}
