/// The character classes Kimi's pre-tokenizer pattern tests, one bit each, looked up once per
/// scalar so the matcher's loops test bits.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt8

    /// Unicode Script=Han (`\p{Han}`).
    static let han = ScalarClass(rawValue: 1 << 0)
    /// `\p{L}`: any letter category.
    static let letter = ScalarClass(rawValue: 1 << 1)
    /// `\p{N}`: any number category.
    static let number = ScalarClass(rawValue: 1 << 2)
    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]`: the leading ("upper") letter class.
    static let upperish = ScalarClass(rawValue: 1 << 3)
    /// `[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]`: the trailing ("lower") letter class.
    static let lowerish = ScalarClass(rawValue: 1 << 4)
    /// `\s`: the Unicode White_Space property.
    static let whitespace = ScalarClass(rawValue: 1 << 5)
    /// `[\r\n]`.
    static let newline = ScalarClass(rawValue: 1 << 6)
    /// Python's `str.isspace()` (White_Space plus U+001C..U+001F), which Kimi's long-run splitter uses.
    static let pythonSpace = ScalarClass(rawValue: 1 << 7)

    /// `[^\r\n\p{L}\p{N}]`: the optional one-character prefix of a word.
    var isWordPrefix: Bool { intersection([.newline, .letter, .number]).isEmpty }
    /// `[^\s\p{L}\p{N}]`: punctuation and symbols.
    var isPunctuation: Bool { intersection([.whitespace, .letter, .number]).isEmpty }
}

/// Classes of every Unicode scalar, painted once (1.1 MB) from `UnicodeClassTables`, which hold
/// the classes exactly as tiktoken's regex engine defines them.
enum ScalarClassifier {
    static let table: [ScalarClass] = {
        var table = [ScalarClass](repeating: [], count: 0x110000)
        func paint(_ ranges: String, _ bits: ScalarClass) {
            for range in ranges.split(separator: ",") {
                let ends = range.split(separator: "-")
                let low = Int(ends[0], radix: 16)!, high = Int(ends[1], radix: 16)!
                for v in low...high { table[v].formUnion(bits) }
            }
        }
        paint(UnicodeClassTables.upperOnly, [.letter, .upperish])
        paint(UnicodeClassTables.lowercase, [.letter, .lowerish])
        paint(UnicodeClassTables.otherLetter, [.letter, .upperish, .lowerish])
        paint(UnicodeClassTables.mark, [.upperish, .lowerish])
        paint(UnicodeClassTables.number, .number)
        paint(UnicodeClassTables.whitespace, [.whitespace, .pythonSpace])
        // `&&[^\p{Han}]`: Han letters and marks are in neither word class.
        for range in UnicodeClassTables.han.split(separator: ",") {
            let ends = range.split(separator: "-")
            for v in Int(ends[0], radix: 16)!...Int(ends[1], radix: 16)! {
                table[v].insert(.han)
                table[v].subtract([.upperish, .lowerish])
            }
        }
        // Python's `str.isspace()` also counts the information separators U+001C...U+001F.
        for v in 0x1C...0x1F { table[v].insert(.pythonSpace) }
        table[0x0A].insert(.newline)
        table[0x0D].insert(.newline)
        return table
    }()

    @inline(__always)
    static func classify(_ value: UInt32) -> ScalarClass {
        value < 0x110000 ? table[Int(value)] : []
    }
}
