import Testing
import TestSupport
@testable import Autograd

@Suite struct BFloat16Tests {
    @Test func roundsToNearestEven() {
        // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
        #expect(BFloat16.round(1 + 1.0 / 256) == 1)
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: even is 1 + 2^-6.
        #expect(BFloat16.round(1 + 3.0 / 256) == 1 + 1.0 / 64)
        #expect(BFloat16.fromFloat(1) == 0x3F80)
        #expect(BFloat16.fromFloat(-2) == 0xC000)
        #expect(BFloat16.toFloat(0x4049) == 3.140625)
    }

    @Test func keepsSpecialValues() {
        #expect(BFloat16.toFloat(BFloat16.fromFloat(.nan)).isNaN)
        #expect(BFloat16.toFloat(BFloat16.fromFloat(-.nan)).sign == .minus)
        #expect(BFloat16.toFloat(BFloat16.fromFloat(.infinity)) == .infinity)
        #expect(BFloat16.toFloat(BFloat16.fromFloat(-.infinity)) == -.infinity)
        // The largest finite float rounds up to infinity, as in PyTorch.
        #expect(BFloat16.toFloat(BFloat16.fromFloat(.greatestFiniteMagnitude)) == .infinity)
        #expect(BFloat16.fromFloat(-0.0) == 0x8000)
    }

    @Test func roundTripsEveryBF16Value() {
        for bits in UInt16.min...UInt16.max {
            let f = BFloat16.toFloat(bits)
            if f.isNaN { continue }
            #expect(BFloat16.fromFloat(f) == bits)
        }
    }
}

@Suite struct GemmTests {
    /// Naive reference in Double.
    func reference(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, ta: Bool, tb: Bool) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = ta ? a[p * m + i] : a[i * k + p]
                let bv = tb ? b[j * k + p] : b[p * n + j]
                s += Double(av) * Double(bv)
            }
            c[i * n + j] = s
        } }
        return c
    }

    @Test(arguments: [(1, 1, 1), (2, 3, 7), (7, 8, 9), (9, 64, 3), (64, 7, 64)])
    func everyTransposeCombination(_ dims: (Int, Int, Int)) {
        let (m, n, k) = dims
        var rng = SplitMix64(seed: 42)
        let a = (0..<(m * k)).map { _ in Float(rng.nextUnit() * 2 - 1) }
        let b = (0..<(k * n)).map { _ in Float(rng.nextUnit() * 2 - 1) }
        for ta in [false, true] { for tb in [false, true] {
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                BLAS.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, a: ap.baseAddress!, b: bp.baseAddress!, c: cp.baseAddress!)
            } } }
            let result = closeness(c, reference(a, b, m: m, n: n, k: k, ta: ta, tb: tb), absolute: 1e-5, relative: 1e-5)
            #expect(result.passes, "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb): \(result)")
        } }
    }
}
