@testable import KimiModel
import Testing

@Suite struct DequantizationScratchTests {
    /// Requests `owners` in order and returns which of them had to be filled (dequantized).
    static func fills(_ scratch: DequantizationScratch, _ owners: [Int]) -> [Int] {
        var filled: [Int] = []
        for owner in owners {
            let p = scratch.weights(owner: owner, count: 4) { buffer in
                filled.append(owner)
                for i in 0..<4 { buffer[i] = Float(owner * 10 + i) }
            }
            #expect(p[3] == Float(owner * 10 + 3), "owner \(owner) got another owner's matrix")
        }
        return filled
    }

    @Test func expertBackwardOrderReusesTheRecomputedMatrices() {
        let scratch = DequantizationScratch(slotCount: 3)
        let gate = scratch.register(), up = scratch.register(), down = scratch.register()
        // Recompute gate, up, down; then backward down, up, gate: three fills, not six.
        #expect(Self.fills(scratch, [gate, up, down, down, up, gate]) == [gate, up, down])
    }

    @Test func leastRecentlyUsedIsEvicted() {
        let scratch = DequantizationScratch(slotCount: 2)
        let a = scratch.register(), b = scratch.register(), c = scratch.register()
        // a, b fill; a reused (b is now least recent); c evicts b; b refills evicting a.
        #expect(Self.fills(scratch, [a, b, a, c, b, a]) == [a, b, c, b, a])
    }
}
