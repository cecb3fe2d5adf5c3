import Foundation
import Testing
import TestSupport
@testable import Autograd

/// Each backward kernel is checked against central finite differences of its forward kernel,
/// with the loss L = sum(output * R) for a fixed random R (so outputGradient = R).
@Suite struct ElementwiseKernelTests {
    @Test(arguments: [1, 7, 9, 20_000])
    func arithmeticMatchesReference(count: Int) {
        let a = GradientCheck.random(count, seed: 1), b = GradientCheck.random(count, seed: 2)
        var sum = [Float](repeating: 0, count: count), product = sum, scaled = sum, y = b
        Kernels.add(a, b, count: count, output: &sum)
        Kernels.multiply(a, b, count: count, output: &product)
        Kernels.scale(a, by: 3, count: count, output: &scaled)
        Kernels.axpy(alpha: 0.5, a, count: count, y: &y)
        #expect(sum == zip(a, b).map { $0 + $1 })
        #expect(product == zip(a, b).map { $0 * $1 })
        #expect(scaled == a.map { 3 * $0 })
        #expect(y == zip(a, b).map { 0.5 * $0 + $1 })
        let squares = a.reduce(0.0) { $0 + Double($1) * Double($1) }
        let check = closeness([Kernels.sumOfSquares(a, count: count)], [squares], absolute: 0, relative: 1e-12)
        #expect(check.passes, "\(check)")
    }

    @Test(arguments: [1, 8, 9])
    func siluSigmoidSwigluBackwardMatchFiniteDifferences(count: Int) {
        let x = GradientCheck.random(count, seed: 3, scale: 3), up = GradientCheck.random(count, seed: 4)
        let r = GradientCheck.random(count, seed: 5)
        func forward(_ kernel: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) -> Void, _ x: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: x.count)
            kernel(x, x.count, &out)
            return out
        }
        // SiLU
        var dx = [Float](repeating: 0.25, count: count)  // non-zero start: backward must accumulate
        Kernels.siluBackward(x, outputGradient: r, count: count, inputGradient: &dx)
        var expected = GradientCheck.numerical(x) { GradientCheck.dot(forward(Kernels.siluForward, $0), r) }
        var check = closeness(dx, expected.map { $0 + 0.25 }, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        #expect(check.passes, "silu: \(check)")
        // Sigmoid (backward from the saved output)
        let y = forward(Kernels.sigmoidForward, x)
        dx = [Float](repeating: 0, count: count)
        Kernels.sigmoidBackward(output: y, outputGradient: r, count: count, inputGradient: &dx)
        expected = GradientCheck.numerical(x) { GradientCheck.dot(forward(Kernels.sigmoidForward, $0), r) }
        check = closeness(dx, expected, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        #expect(check.passes, "sigmoid: \(check)")
        // SwiGLU, both operands
        func swiglu(_ gate: [Float], _ up: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: count)
            Kernels.swigluForward(gate: gate, up: up, count: count, output: &out)
            return out
        }
        var dGate = [Float](repeating: 0, count: count), dUp = dGate
        Kernels.swigluBackward(gate: x, up: up, outputGradient: r, count: count, gateGradient: &dGate, upGradient: &dUp)
        let expectedGate = GradientCheck.numerical(x) { GradientCheck.dot(swiglu($0, up), r) }
        let expectedUp = GradientCheck.numerical(up) { GradientCheck.dot(swiglu(x, $0), r) }
        check = closeness(dGate, expectedGate, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        #expect(check.passes, "swiglu gate: \(check)")
        check = closeness(dUp, expectedUp, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        #expect(check.passes, "swiglu up: \(check)")
    }
}

@Suite struct NormalizationKernelTests {
    @Test(arguments: [(1, 1), (3, 2), (7, 8), (2, 9)])
    func rmsNormMatchesReferenceAndFiniteDifferences(rows: Int, dim: Int) {
        let x = GradientCheck.random(rows * dim, seed: 10, scale: 2)
        let w = GradientCheck.random(dim, seed: 11), r = GradientCheck.random(rows * dim, seed: 12)
        let eps: Float = 1e-6
        func forward(_ x: [Float], _ w: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: rows * dim), inv = [Float](repeating: 0, count: rows)
            Kernels.rmsNormForward(x, weight: w, rows: rows, dim: dim, eps: eps, output: &out, inverseRMS: &inv)
            return out
        }
        var reference = [Double]()
        for row in 0..<rows {
            let values = x[(row * dim)..<((row + 1) * dim)].map(Double.init)
            let inverse = 1 / (values.reduce(0) { $0 + $1 * $1 } / Double(dim) + Double(eps)).squareRoot()
            for c in 0..<dim { reference.append(values[c] * inverse * Double(w[c])) }
        }
        let forwardCheck = closeness(forward(x, w), reference, absolute: 1e-6, relative: 1e-5)
        #expect(forwardCheck.passes, "forward: \(forwardCheck)")

        var out = [Float](repeating: 0, count: rows * dim), inv = [Float](repeating: 0, count: rows)
        Kernels.rmsNormForward(x, weight: w, rows: rows, dim: dim, eps: eps, output: &out, inverseRMS: &inv)
        var dx = [Float](repeating: 0, count: rows * dim), dw = [Float](repeating: 0, count: dim)
        Kernels.rmsNormBackward(x, weight: w, inverseRMS: inv, outputGradient: r, rows: rows, dim: dim,
                                inputGradient: &dx, weightGradient: &dw)
        let expectedX = GradientCheck.numerical(x, step: 1e-3) { GradientCheck.dot(forward($0, w), r) }
        let expectedW = GradientCheck.numerical(w, step: 1e-3) { GradientCheck.dot(forward(x, $0), r) }
        let checkX = closeness(dx, expectedX, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        let checkW = closeness(dw, expectedW, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        #expect(checkX.passes, "dx: \(checkX)")
        #expect(checkW.passes, "dw: \(checkW)")
    }

    @Test(arguments: [(1, 1), (2, 3), (7, 9)])
    func softmaxBackwardMatchesFiniteDifferences(rows: Int, columns: Int) {
        let x = GradientCheck.random(rows * columns, seed: 20, scale: 3), r = GradientCheck.random(rows * columns, seed: 21)
        func forward(_ x: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: x.count)
            Kernels.softmaxRowsForward(x, rows: rows, columns: columns, output: &out)
            return out
        }
        let y = forward(x)
        for row in 0..<rows {
            let total = y[(row * columns)..<((row + 1) * columns)].reduce(0, +)
            #expect(abs(total - 1) < 1e-5, "row \(row) sums to \(total)")
        }
        var dx = [Float](repeating: 0, count: x.count)
        Kernels.softmaxRowsBackward(output: y, outputGradient: r, rows: rows, columns: columns, inputGradient: &dx)
        let expected = GradientCheck.numerical(x) { GradientCheck.dot(forward($0), r) }
        let check = closeness(dx, expected, absolute: GradientCheck.absolute, relative: GradientCheck.relative)
        #expect(check.passes, "\(check)")
    }
}
