import Foundation
import TestSupport

/// Hand-built safetensors files, so tests can also write malformed headers the writer never makes.
enum SafetensorsTestFiles {
    /// 8-byte little-endian length, the header text, then `data`.
    static func bytes(header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        var out = withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) }
        out += h
        out += data
        return out
    }

    static func write(_ bytes: [UInt8], to url: URL) throws {
        try Data(bytes).write(to: url)
    }

    static func bf16Bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            let bits = Float(v).bitPattern >> 16   // exact for the test values used (BF16-representable)
            return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
        }
    }

    static func f32Bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    static func i32Bytes(_ values: [Int32]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    }
}
