import Testing
import TestSupport
import Autograd
@testable import LoRA

/// Loss L = sum(y * g) for a fixed random g, so dL/dy = g and finite differences are cheap.
private func projectedLoss(_ adapter: LoRAAdapter, x: [Float], rows: Int, g: [Float]) -> Double {
    var y = [Float](repeating: 0, count: rows * adapter.outFeatures)
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
        adapter.forward(xp.baseAddress!, rows: rows, into: yp.baseAddress!)
    } }
    return zip(y, g).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

private func randomArray(_ n: Int, _ rng: inout SplitMix64, scale: Double = 1) -> [Float] {
    (0..<n).map { _ in Float((rng.nextUnit() * 2 - 1) * scale) }
}

@Suite struct LoRAAdapterTests {
    @Test func zeroBLeavesTheBaseOutputUnchanged() {
        let adapter = LoRAAdapter(inFeatures: 9, outFeatures: 7, rank: 3, scaling: 2, initializationSeed: 1)
        var rng = SplitMix64(seed: 5)
        let x = randomArray(4 * 9, &rng)
        let base = randomArray(4 * 7, &rng)
        var y = base
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            adapter.forward(xp.baseAddress!, rows: 4, into: yp.baseAddress!)
        } }
        #expect(y == base)
    }

    @Test func initialisesAKaimingUniformDeterministically() {
        let a1 = LoRAAdapter(inFeatures: 64, outFeatures: 8, rank: 4, scaling: 1, initializationSeed: 3)
        let a2 = LoRAAdapter(inFeatures: 64, outFeatures: 8, rank: 4, scaling: 1, initializationSeed: 3)
        #expect(a1.a.array == a2.a.array)
        #expect(a1.a.array.allSatisfy { abs($0) <= 1 / 8 })
        #expect(a1.b.array.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [(1, 3, 2, 1), (3, 7, 9, 2), (8, 9, 8, 4)])
    func gradientsMatchFiniteDifferences(_ dims: (Int, Int, Int, Int)) {
        for dropout in [Float(0), 0.3] {
            let (rows, inF, outF, r) = dims
            let adapter = LoRAAdapter(inFeatures: inF, outFeatures: outF, rank: r, scaling: 1.7, dropout: dropout, initializationSeed: 11)
            adapter.dropoutSeed = 99
            var rng = SplitMix64(seed: 17)
            for i in 0..<adapter.b.count { adapter.b.data[i] = Float(rng.nextUnit() * 2 - 1) }
            let x = randomArray(rows * inF, &rng)
            let g = randomArray(rows * outF, &rng)
            var dx = [Float](repeating: 0, count: rows * inF)
            x.withUnsafeBufferPointer { xp in g.withUnsafeBufferPointer { gp in dx.withUnsafeMutableBufferPointer { dp in
                adapter.backward(xp.baseAddress!, rows: rows, outputGradient: gp.baseAddress!, inputGradient: dp.baseAddress!)
            } } }
            let eps: Float = 1e-2
            func numeric(_ perturb: (Float) -> Void, _ restore: () -> Void) -> Double {
                perturb(eps); let plus = projectedLoss(adapter, x: x, rows: rows, g: g)
                perturb(-2 * eps); let minus = projectedLoss(adapter, x: x, rows: rows, g: g)
                restore()
                return (plus - minus) / Double(2 * eps)
            }
            // The loss is linear in each of A, B and x separately, so central differences are exact up to rounding.
            var expectedA = [Double](), expectedB = [Double](), expectedX = [Double]()
            for i in 0..<adapter.a.count {
                let old = adapter.a.data[i]
                expectedA.append(numeric({ adapter.a.data[i] += $0 }, { adapter.a.data[i] = old }))
            }
            for i in 0..<adapter.b.count {
                let old = adapter.b.data[i]
                expectedB.append(numeric({ adapter.b.data[i] += $0 }, { adapter.b.data[i] = old }))
            }
            var xs = x
            for i in 0..<xs.count {
                let old = xs[i]
                xs[i] = old + eps; let plus = projectedLoss(adapter, x: xs, rows: rows, g: g)
                xs[i] = old - eps; let minus = projectedLoss(adapter, x: xs, rows: rows, g: g)
                xs[i] = old
                expectedX.append((plus - minus) / Double(2 * eps))
            }
            let ca = closeness(adapter.gradientA.array, expectedA, absolute: 2e-3, relative: 2e-3)
            let cb = closeness(adapter.gradientB.array, expectedB, absolute: 2e-3, relative: 2e-3)
            let cx = closeness(dx, expectedX, absolute: 2e-3, relative: 2e-3)
            #expect(ca.passes, "dA dropout=\(dropout): \(ca)")
            #expect(cb.passes, "dB dropout=\(dropout): \(cb)")
            #expect(cx.passes, "dx dropout=\(dropout): \(cx)")
        }
    }

    @Test func fusedWeightEqualsUnfusedForward() {
        let (rows, inF, outF) = (5, 9, 7)
        let adapter = LoRAAdapter(inFeatures: inF, outFeatures: outF, rank: 2, scaling: 0.5, initializationSeed: 2)
        var rng = SplitMix64(seed: 8)
        for i in 0..<adapter.b.count { adapter.b.data[i] = Float(rng.nextUnit() - 0.5) }
        let w = Tensor(shape: [outF, inF], values: randomArray(outF * inF, &rng))
        let x = Tensor(shape: [rows, inF], values: randomArray(rows * inF, &rng))
        let unfused = BLAS.matmul(x, w, transposeB: true)
        adapter.forward(x.pointer, rows: rows, into: unfused.pointer)
        let merged = w.copy()
        adapter.addDelta(into: merged.pointer)
        let fused = BLAS.matmul(x, merged, transposeB: true)
        let c = closeness(fused.array, unfused.array, absolute: 1e-5, relative: 1e-5)
        #expect(c.passes, "\(c)")
    }

    @Test func scalingFollowsRSLoRA() {
        #expect(LoRAConfig(rank: 16, alpha: 32).scaling == 2)
        #expect(LoRAConfig(rank: 16, alpha: 32, useRSLoRA: true).scaling == 8)
        #expect(LoRAConfig(rank: 8).alpha == 16)
    }
}

@Suite struct LoRATargetTests {
    let paths = [
        "model.layers.0.self_attn.q_a_proj", "model.layers.0.mlp.gate_proj",
        "model.layers.1.mlp.shared_experts.up_proj", "model.layers.1.mlp.experts.3.down_proj",
        "language_model.model.layers.2.self_attn.o_proj",
    ]

    @Test func groupsSelectByModuleClass() {
        #expect(paths.filter { LoRATargets.all.matches($0) }.count == 5)
        #expect(paths.filter { LoRATargets.parse("attention").matches($0) } == [paths[0], paths[4]])
        #expect(paths.filter { LoRATargets.parse("experts").matches($0) } == [paths[2], paths[3]])
        #expect(paths.filter { LoRATargets.parse("dense").matches($0) } == [paths[1]])
    }

    @Test func namesMatchPathSuffixesLikePEFT() {
        #expect(paths.filter { LoRATargets.parse("down_proj, q_a_proj").matches($0) } == [paths[0], paths[3]])
        #expect(paths.filter { LoRATargets.parse("experts.3.down_proj").matches($0) } == [paths[3]])
        #expect(paths.filter { LoRATargets.parse("a_proj").matches($0) }.isEmpty)
    }
}
