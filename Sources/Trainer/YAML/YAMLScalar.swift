import Storage

/// Resolves a plain (unquoted) scalar by the YAML 1.2 core schema: `null`/`~`/empty, `true`/`false`
/// in three casings, decimal/octal (`0o`)/hex (`0x`) integers, decimals with optional exponent
/// (so `1e-4` is a number, unlike PyYAML's YAML 1.1), `.inf`/`.nan`; anything else is a string.
func resolvePlainScalar(_ raw: String) -> JSONValue {
    switch raw {
    case "", "~", "null", "Null", "NULL": return .null
    case "true", "True", "TRUE": return .bool(true)
    case "false", "False", "FALSE": return .bool(false)
    case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
    case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
    case ".nan", ".NaN", ".NAN": return .double(.nan)
    default: break
    }
    let scalars = Array(raw.unicodeScalars)
    if scalars.count > 2, scalars[0] == "0", scalars[1] == "o" || scalars[1] == "x" {
        let digits = String(String.UnicodeScalarView(scalars[2...]))
        if let value = Int(digits, radix: scalars[1] == "o" ? 8 : 16) { return .int(value) }
        return .string(raw)
    }
    if isDecimalInteger(scalars) {
        if let value = Int(raw) { return .int(value) }
        return .double(Double(raw) ?? 0)  // beyond Int64: keep the magnitude as a float
    }
    if isDecimalFloat(scalars), let value = Double(raw) { return .double(value) }
    return .string(raw)
}

/// `[-+]?[0-9]+`
private func isDecimalInteger(_ s: [Unicode.Scalar]) -> Bool {
    var k = 0
    if k < s.count, s[k] == "-" || s[k] == "+" { k += 1 }
    guard k < s.count else { return false }
    while k < s.count { if !isDigit(s[k]) { return false }; k += 1 }
    return true
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
private func isDecimalFloat(_ s: [Unicode.Scalar]) -> Bool {
    var k = 0
    if k < s.count, s[k] == "-" || s[k] == "+" { k += 1 }
    var mantissaDigits = 0
    while k < s.count, isDigit(s[k]) { k += 1; mantissaDigits += 1 }
    if k < s.count, s[k] == "." {
        k += 1
        while k < s.count, isDigit(s[k]) { k += 1; mantissaDigits += 1 }
    }
    guard mantissaDigits > 0 else { return false }
    if k < s.count, s[k] == "e" || s[k] == "E" {
        k += 1
        if k < s.count, s[k] == "-" || s[k] == "+" { k += 1 }
        var exponentDigits = 0
        while k < s.count, isDigit(s[k]) { k += 1; exponentDigits += 1 }
        guard exponentDigits > 0 else { return false }
    }
    return k == s.count
}

private func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
