/// Token-to-expert assignments regrouped per expert (a counting sort), so each active expert runs
/// one GEMM over exactly the tokens routed to it.
public struct ExpertGrouping: Equatable {
    /// [E + 1]: expert e's assignments are `offsets[e] ..< offsets[e + 1]`.
    public let offsets: [Int]
    /// [n * k] token index of each grouped assignment.
    public let tokens: [Int32]
    /// [n * k] flat routing slot (t * k + s) of each grouped assignment, to find its weight.
    public let slots: [Int]

    /// Groups `experts` ([n, k] expert ids) for `expertCount` experts; tokens stay in order within an expert.
    public init(experts: [Int32], topK k: Int, expertCount: Int) {
        var counts = [Int](repeating: 0, count: expertCount + 1)
        for e in experts { counts[Int(e) + 1] += 1 }
        for e in 0..<expertCount { counts[e + 1] += counts[e] }
        offsets = counts
        var next = counts
        var tokens = [Int32](repeating: 0, count: experts.count)
        var slots = [Int](repeating: 0, count: experts.count)
        for (slot, e) in experts.enumerated() {
            let position = next[Int(e)]
            next[Int(e)] += 1
            tokens[position] = Int32(slot / k)
            slots[position] = slot
        }
        self.tokens = tokens
        self.slots = slots
    }

    public func range(of expert: Int) -> Range<Int> { offsets[expert]..<offsets[expert + 1] }

    /// Experts with at least one routed token.
    public var activeExperts: [Int] { (0..<(offsets.count - 1)).filter { offsets[$0 + 1] > offsets[$0] } }
}
