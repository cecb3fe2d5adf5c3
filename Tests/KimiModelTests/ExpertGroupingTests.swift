@testable import KimiModel
import Testing

@Suite struct ExpertGroupingTests {
    @Test func groupsEveryAssignmentOncePerExpertInTokenOrder() {
        // 4 tokens, k = 2, 5 experts (expert 3 unused).
        let experts: [Int32] = [0, 2, 2, 4, 0, 1, 4, 2]
        let g = ExpertGrouping(experts: experts, topK: 2, expertCount: 5)
        #expect(g.activeExperts == [0, 1, 2, 4])
        #expect(g.range(of: 3).isEmpty)
        for e in 0..<5 {
            let slots = Array(g.slots[g.range(of: e)])
            let expectedSlots = experts.indices.filter { experts[$0] == Int32(e) }
            #expect(slots == expectedSlots, "expert \(e): slots \(slots), expected \(expectedSlots)")
            #expect(g.range(of: e).map { g.tokens[$0] } == expectedSlots.map { Int32($0 / 2) })
        }
        #expect(g.offsets.last == experts.count)
    }

    @Test func emptyInputHasNoActiveExperts() {
        let g = ExpertGrouping(experts: [], topK: 2, expertCount: 3)
        #expect(g.activeExperts.isEmpty)
        #expect(g.offsets == [0, 0, 0, 0])
    }
}
