/// Byte sequences to BPE ranks, looked up by a raw byte slice without allocating, and ranks back
/// to bytes. All sequences live in one flat arena; an open-addressing table of entry indices keyed
/// by an FNV-1a hash finds them. A Swift `Dictionary<[UInt8], Int>` would allocate one array per
/// lookup, and BPE looks up every candidate pair.
public struct ByteRankTable: Sendable {
    private var arena: [UInt8] = []
    /// Per entry: start in `arena`, byte count, rank.
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var entryRanks: [Int32] = []
    /// Entry index + 1 per slot; 0 is empty.
    private var slots: [Int32]
    private var mask: Int
    /// Entry index per rank (-1 where a rank is unused).
    private var entryOfRank: [Int32] = []

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    public var count: Int { entryRanks.count }
    /// One past the largest rank stored.
    public var rankLimit: Int { entryOfRank.count }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The rank of `bytes[0..<count]`, or -1.
    @inline(__always)
    public func rank(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var slot = ByteRankTable.hash(bytes, count) & mask
        return slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                while true {
                    let e = Int(slots[slot]) - 1
                    if e < 0 { return -1 }
                    if Int(lengths[e]) == count {
                        let start = Int(starts[e])
                        var same = true
                        for i in 0..<count where arena[start + i] != bytes[i] { same = false; break }
                        if same { return Int(entryRanks[e]) }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    public func rank(of bytes: [UInt8]) -> Int? {
        let r = bytes.withUnsafeBufferPointer { $0.isEmpty ? -1 : rank($0.baseAddress!, $0.count) }
        return r < 0 ? nil : r
    }

    /// Adds a sequence; returns false (and changes nothing) when the bytes are already present.
    @discardableResult
    public mutating func insert(_ bytes: [UInt8], rank: Int) -> Bool {
        precondition(!bytes.isEmpty && rank >= 0 && rank < Int(Int32.max), "insert: empty bytes or rank \(rank)")
        if self.rank(of: bytes) != nil { return false }
        if (count + 1) * 2 > slots.count { grow() }
        let entry = count
        starts.append(Int32(arena.count))
        lengths.append(Int32(bytes.count))
        entryRanks.append(Int32(rank))
        arena.append(contentsOf: bytes)
        place(entry)
        if rank >= entryOfRank.count { entryOfRank.append(contentsOf: repeatElement(-1, count: rank + 1 - entryOfRank.count)) }
        entryOfRank[rank] = Int32(entry)
        return true
    }

    /// The bytes of `rank`, or nil when no sequence has it.
    public func bytes(ofRank rank: Int) -> ArraySlice<UInt8>? {
        guard rank >= 0 && rank < entryOfRank.count else { return nil }
        let e = Int(entryOfRank[rank])
        guard e >= 0 else { return nil }
        let start = Int(starts[e])
        return arena[start..<start + Int(lengths[e])]
    }

    /// Appends the bytes of `rank` to `output`; false when no sequence has it.
    @inline(__always)
    func appendBytes(ofRank rank: Int, to output: inout [UInt8]) -> Bool {
        guard rank >= 0 && rank < entryOfRank.count else { return false }
        let e = Int(entryOfRank[rank])
        guard e >= 0 else { return false }
        let start = Int(starts[e])
        output.append(contentsOf: arena[start..<start + Int(lengths[e])])
        return true
    }

    private mutating func place(_ entry: Int) {
        let start = Int(starts[entry]), length = Int(lengths[entry])
        var slot = arena.withUnsafeBufferPointer { ByteRankTable.hash($0.baseAddress! + start, length) } & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for e in 0..<count { place(e) }
    }
}
