import Foundation
import Storage

/// Kimi's tokenizer: special-token strings become their ids, the text between them is split by
/// `KimiPreTokenizer` and each piece is byte-level BPE-encoded by rank. Reproduces
/// `tokenization_kimi.py`'s `encode` (with `allow_special_tokens=True`), including its chunking
/// into 400,000-scalar windows and its cuts of runs longer than 25,000 spaces or non-spaces,
/// since both change the ids at the cut.
public struct TiktokenTokenizer: TextTokenizer, Sendable {
    public let ranks: ByteRankTable
    /// Special tokens in id order; ids need not follow the base ranks directly.
    public let specialTokens: [(id: Int, name: String)]
    private let specialIDByName: [String: Int]
    private let specialNameByID: [Int: [UInt8]]
    /// Special names as scalars, grouped by first scalar, for the scan over the text.
    private let specialsByFirstScalar: [UInt32: [(scalars: [UInt32], id: Int)]]
    /// Whether a special token starts with each ASCII scalar, and whether any starts elsewhere:
    /// lets the scan skip the dictionary for almost every scalar.
    private let asciiSpecialStart: [Bool]
    private let hasNonASCIISpecialStart: Bool

    /// The bos/eos/pad/unk ids, resolved by the names in tokenizer_config.json (Kimi's defaults
    /// `[BOS]`, `[EOS]`, `[PAD]`, `[UNK]` when there is no config or it names none); nil when the
    /// name is not a special token.
    public private(set) var bosTokenID: Int?
    public private(set) var eosTokenID: Int?
    public private(set) var padTokenID: Int?
    public private(set) var unknownTokenID: Int?
    /// The chat template stored in tokenizer_config.json, if any.
    public private(set) var chatTemplate: String?

    /// Kimi's chunk and run limits, in Unicode scalars (Python `str` indices).
    public static let maximumChunkScalars = 400_000
    public static let maximumRunScalars = 25_000

    public init(ranks: ByteRankTable, specialTokens: [(id: Int, name: String)]) {
        self.ranks = ranks
        let sorted = specialTokens.sorted { $0.id < $1.id }
        self.specialTokens = sorted
        var byName: [String: Int] = [:], byID: [Int: [UInt8]] = [:]
        var byFirst: [UInt32: [(scalars: [UInt32], id: Int)]] = [:]
        for (id, name) in sorted where !name.isEmpty {
            byName[name] = id
            byID[id] = Array(name.utf8)
            let scalars = name.unicodeScalars.map(\.value)
            byFirst[scalars[0], default: []].append((scalars, id))
        }
        specialIDByName = byName
        bosTokenID = byName["[BOS]"]
        eosTokenID = byName["[EOS]"]
        padTokenID = byName["[PAD]"]
        unknownTokenID = byName["[UNK]"]
        specialNameByID = byID
        specialsByFirstScalar = byFirst
        var asciiStart = [Bool](repeating: false, count: 128)
        for first in byFirst.keys where first < 128 { asciiStart[Int(first)] = true }
        asciiSpecialStart = asciiStart
        hasNonASCIISpecialStart = byFirst.keys.contains { $0 >= 128 }
    }

    /// Loads `tiktoken.model` and, when present, `tokenizer_config.json` from a model directory.
    /// Without a config the special tokens get Kimi's default names.
    public init(directory: URL) throws {
        let ranks = try TiktokenRankFile.load(directory.appendingPathComponent("tiktoken.model"))
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            self.init(ranks: ranks, specialTokens: KimiSpecialTokens.defaults(baseCount: ranks.count))
            return
        }
        let config = try TokenizerConfig.load(configURL)
        self.init(ranks: ranks, specialTokens: config.specialTokens(baseCount: ranks.count))
        func id(_ name: String?, _ key: String) throws -> Int? {
            guard let name else { return nil }
            guard let id = specialIDByName[name] else {
                throw TokenizerError.badConfig(file: configURL.path, reason: "\(key) '\(name)' is not one of the special tokens after the \(ranks.count) base ranks")
            }
            return id
        }
        bosTokenID = try id(config.bosToken, "bos_token") ?? bosTokenID
        eosTokenID = try id(config.eosToken, "eos_token") ?? eosTokenID
        padTokenID = try id(config.padToken, "pad_token") ?? padTokenID
        unknownTokenID = try id(config.unknownToken, "unk_token") ?? unknownTokenID
        chatTemplate = config.chatTemplate
    }

    public var vocabularySize: Int { ranks.count + specialTokens.count }

    public func specialTokenID(_ name: String) -> Int? { specialIDByName[name] }

    // MARK: Encoding

    public func encode(_ text: String) -> [Int] { encode(text, allowSpecialTokens: true) }

    /// With `allowSpecialTokens` false, special-token strings are encoded as ordinary text.
    public func encode(_ text: String, allowSpecialTokens: Bool) -> [Int] {
        // One pass over the UTF-8 (valid, since it comes from a String): scalars, their classes,
        // and the byte offset where each starts.
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty else { return [] }
        var scalars = [UInt32](repeating: 0, count: utf8.count)
        var classes = [ScalarClass](repeating: [], count: utf8.count)
        var byteStart = [Int](repeating: 0, count: utf8.count + 1)
        let n = utf8.withUnsafeBufferPointer { u in
            scalars.withUnsafeMutableBufferPointer { s in
                classes.withUnsafeMutableBufferPointer { c in
                    byteStart.withUnsafeMutableBufferPointer { b in
                        var i = 0, count = 0
                        while i < u.count {
                            let lead = UInt32(u[i])
                            var v: UInt32, width: Int
                            if lead < 0x80 { v = lead; width = 1 }
                            else if lead < 0xE0 { v = (lead & 0x1F) << 6 | UInt32(u[i + 1] & 0x3F); width = 2 }
                            else if lead < 0xF0 {
                                v = (lead & 0x0F) << 12 | UInt32(u[i + 1] & 0x3F) << 6 | UInt32(u[i + 2] & 0x3F); width = 3
                            } else {
                                v = (lead & 0x07) << 18 | UInt32(u[i + 1] & 0x3F) << 12 | UInt32(u[i + 2] & 0x3F) << 6
                                    | UInt32(u[i + 3] & 0x3F); width = 4
                            }
                            s[count] = v
                            c[count] = ScalarClassifier.classify(v)
                            b[count] = i
                            count += 1
                            i += width
                        }
                        b[count] = i
                        return count
                    }
                }
            }
        }
        var ids: [Int] = []
        ids.reserveCapacity(utf8.count / 3)
        var pieces: [Int] = []
        scalars.withUnsafeBufferPointer { allScalars in
            classes.withUnsafeBufferPointer { allClasses in
                byteStart.withUnsafeBufferPointer { b in
                    utf8.withUnsafeBufferPointer { bytes in
                        let s = UnsafeBufferPointer(rebasing: allScalars[0..<n])
                        let c = UnsafeBufferPointer(rebasing: allClasses[0..<n])
                        var chunk = 0
                        while chunk < n {
                            let chunkEnd = min(n, chunk + Self.maximumChunkScalars)
                            for segment in Self.runLimitedSegments(c, chunk, chunkEnd) {
                                encodeSegment(segment, allowSpecialTokens, s, c, b, bytes, &pieces, &ids)
                            }
                            chunk = chunkEnd
                        }
                    }
                }
            }
        }
        return ids
    }

    /// Kimi's `_split_whitespaces_or_nonwhitespaces`: cuts `lo..<hi` so that no piece holds more
    /// than `maximumRunScalars` consecutive spaces or non-spaces (Python `isspace`).
    static func runLimitedSegments(_ classes: UnsafeBufferPointer<ScalarClass>, _ lo: Int, _ hi: Int) -> [Range<Int>] {
        var segments: [Range<Int>] = []
        var sliceStart = lo
        var runLength = 0
        var runIsSpace = lo < hi ? classes[lo].contains(.pythonSpace) : false
        for i in lo..<hi {
            let isSpace = classes[i].contains(.pythonSpace)
            if isSpace != runIsSpace {
                runLength = 1
                runIsSpace = isSpace
            } else {
                runLength += 1
                if runLength > maximumRunScalars {
                    segments.append(sliceStart..<i)
                    sliceStart = i
                    runLength = 1
                }
            }
        }
        segments.append(sliceStart..<hi)
        return segments
    }

    private func encodeSegment(_ segment: Range<Int>, _ allowSpecialTokens: Bool,
                               _ scalars: UnsafeBufferPointer<UInt32>, _ classes: UnsafeBufferPointer<ScalarClass>,
                               _ byteStart: UnsafeBufferPointer<Int>, _ bytes: UnsafeBufferPointer<UInt8>,
                               _ pieces: inout [Int], _ ids: inout [Int]) {
        var gapStart = segment.lowerBound
        var i = segment.lowerBound
        if allowSpecialTokens && !specialsByFirstScalar.isEmpty {
            while i < segment.upperBound {
                let v = scalars[i]
                if v < 128 ? asciiSpecialStart[Int(v)] : hasNonASCIISpecialStart,
                   let candidates = specialsByFirstScalar[v],
                   let (length, id) = longestSpecial(at: i, end: segment.upperBound, candidates, scalars) {
                    encodeOrdinary(gapStart..<i, scalars, classes, byteStart, bytes, &pieces, &ids)
                    ids.append(id)
                    i += length
                    gapStart = i
                } else {
                    i += 1
                }
            }
        }
        encodeOrdinary(gapStart..<segment.upperBound, scalars, classes, byteStart, bytes, &pieces, &ids)
    }

    /// The special token starting at `i` (the longest, should one name begin another).
    private func longestSpecial(at i: Int, end: Int, _ candidates: [(scalars: [UInt32], id: Int)],
                                _ scalars: UnsafeBufferPointer<UInt32>) -> (Int, Int)? {
        var best: (Int, Int)?
        for candidate in candidates {
            let m = candidate.scalars.count
            guard i + m <= end, m > (best?.0 ?? 0) else { continue }
            var same = true
            for k in 1..<m where scalars[i + k] != candidate.scalars[k] { same = false; break }
            if same { best = (m, candidate.id) }
        }
        return best
    }

    private func encodeOrdinary(_ range: Range<Int>, _ scalars: UnsafeBufferPointer<UInt32>,
                                _ classes: UnsafeBufferPointer<ScalarClass>, _ byteStart: UnsafeBufferPointer<Int>,
                                _ bytes: UnsafeBufferPointer<UInt8>, _ pieces: inout [Int], _ ids: inout [Int]) {
        guard !range.isEmpty else { return }
        pieces.removeAll(keepingCapacity: true)
        KimiPreTokenizer.split(scalars: UnsafeBufferPointer(rebasing: scalars[range]),
                               classes: UnsafeBufferPointer(rebasing: classes[range]), into: &pieces)
        var k = 0
        while k < pieces.count {
            let from = byteStart[range.lowerBound + pieces[k]]
            let to = byteStart[range.lowerBound + pieces[k + 1]]
            BytePairEncoder.encode(UnsafeBufferPointer(rebasing: bytes[from..<to]), ranks: ranks, into: &ids)
            k += 2
        }
    }

    // MARK: Decoding

    /// The bytes of `ids` concatenated; throws on an id that is neither a rank nor a special token.
    public func decodeBytes(_ ids: [Int]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids {
            if ranks.appendBytes(ofRank: id, to: &out) { continue }
            guard let name = specialNameByID[id] else {
                throw TokenizerError.unknownTokenID(id, vocabularySize: vocabularySize)
            }
            out.append(contentsOf: name)
        }
        return out
    }

    /// Text of `ids`; invalid UTF-8 (a token cut inside a character) and unknown ids become U+FFFD,
    /// as tiktoken's `decode` with `errors="replace"` does for the former.
    public func decode(_ ids: [Int]) -> String {
        var out: [UInt8] = []
        for id in ids {
            if ranks.appendBytes(ofRank: id, to: &out) { continue }
            out.append(contentsOf: specialNameByID[id] ?? [0xEF, 0xBF, 0xBD])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
