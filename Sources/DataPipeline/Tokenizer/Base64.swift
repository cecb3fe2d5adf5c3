/// Strict standard base64 (RFC 4648 §4, `=` padding required), as tiktoken.model stores token bytes.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    /// Decodes `text`, or returns a reason it is not valid base64.
    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], Base64Failure> {
        let n = text.count
        guard n > 0 else { return .failure(.init(reason: "empty token")) }
        guard n % 4 == 0 else { return .failure(.init(reason: "length \(n) is not a multiple of 4")) }
        var out = [UInt8]()
        out.reserveCapacity(n / 4 * 3)
        var i = 0
        while i < n {
            var quad: (Int, Int, Int, Int) = (0, 0, 0, 0)
            var padding = 0
            for k in 0..<4 {
                let c = text[i + k]
                var v = -1
                if c == UInt8(ascii: "=") && i + 4 == n && k >= 2 {
                    padding += 1
                } else {
                    if padding > 0 { return .failure(.init(reason: "data after '=' padding")) }
                    v = Int(values[Int(c)])
                    if v < 0 { return .failure(.init(reason: "character '\(Unicode.Scalar(c).escaped(asASCII: true))' is not base64")) }
                }
                switch k { case 0: quad.0 = v; case 1: quad.1 = v; case 2: quad.2 = v; default: quad.3 = v }
            }
            out.append(UInt8((quad.0 << 2) | (quad.1 >> 4)))
            if padding < 2 { out.append(UInt8(((quad.1 & 15) << 4) | (max(quad.2, 0) >> 2))) }
            if padding < 1 { out.append(UInt8(((quad.2 & 3) << 6) | quad.3)) }
            if padding == 2 && quad.1 & 15 != 0 || padding == 1 && quad.2 & 3 != 0 {
                return .failure(.init(reason: "non-zero bits before '=' padding"))
            }
            i += 4
        }
        return .success(out)
    }

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var it = bytes.makeIterator()
        while let a = it.next() {
            let b = it.next(), c = it.next()
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int((a & 3) << 4 | (b ?? 0) >> 4)])
            out.append(b == nil ? UInt8(ascii: "=") : alphabet[Int((b! & 15) << 2 | (c ?? 0) >> 6)])
            out.append(c == nil ? UInt8(ascii: "=") : alphabet[Int(c! & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

struct Base64Failure: Error { let reason: String }
