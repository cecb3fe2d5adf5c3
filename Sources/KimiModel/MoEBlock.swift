import Autograd

/// DeepseekV3's MoE block: routed experts (usually INT4) weighted by the router, plus shared experts.
///
/// Execution scales with active experts, not with the layer: tokens are grouped per expert, each
/// active expert gathers its rows, runs one GEMM per projection (an INT4 weight dequantized into the
/// model's reused scratch), and its weighted output is scatter-added back. Backward recomputes each
/// expert's forward from its gathered rows (no expert activations are kept between passes).
public final class MoEBlock {
    public let router: Router
    public let experts: [SwiGLUMLP]
    public let sharedExperts: SwiGLUMLP?

    public init(router: Router, experts: [SwiGLUMLP], sharedExperts: SwiGLUMLP?) {
        precondition(experts.count == router.expertCount, "MoE: \(experts.count) experts but router has \(router.expertCount)")
        self.router = router; self.experts = experts; self.sharedExperts = sharedExperts
    }

    public var hiddenSize: Int { router.hiddenSize }

    // Legend: n = tokens, C = hidden size, k = experts per token, m = tokens routed to one expert.

    /// y [n, C] = sum_s w[t, s] expert_{e[t, s]}(x[t]) + shared(x) for x [n, C] (y is overwritten).
    public func forward(_ x: UnsafePointer<Float>, rows n: Int, into y: UnsafeMutablePointer<Float>) {
        let C = hiddenSize
        y.update(repeating: 0, count: n * C)
        let routing = router.route(x, rows: n)
        let grouping = ExpertGrouping(experts: routing.experts, topK: router.topK, expertCount: experts.count)
        for e in grouping.activeExperts {
            let range = grouping.range(of: e), m = range.count
            let xe = Tensor(shape: [m, C]), ye = Tensor(shape: [m, C])
            var we = [Float](repeating: 0, count: m)
            for i in 0..<m { we[i] = routing.weights[grouping.slots[range.lowerBound + i]] }
            grouping.tokens.withUnsafeBufferPointer { tokens in
                let indices = tokens.baseAddress! + range.lowerBound
                Kernels.gatherRows(x, columns: C, indices: indices, count: m, output: xe.pointer)     // xe [m, C]
                experts[e].forward(xe.pointer, rows: m, into: ye.pointer)                              // ye [m, C]
                we.withUnsafeBufferPointer { w in
                    Kernels.scatterAddRows(ye.pointer, columns: C, indices: indices, count: m,
                                           weights: w.baseAddress!, output: y)                       // y[t] += w ye
                }
            }
        }
        sharedExperts?.forward(x, rows: n, into: y, accumulate: true)
    }

    /// dx [n, C] += J^T dy, including the path through the routing weights into x.
    public func backward(_ x: UnsafePointer<Float>, rows n: Int, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>) {
        let C = hiddenSize, k = router.topK
        let routing = router.route(x, rows: n)
        let grouping = ExpertGrouping(experts: routing.experts, topK: k, expertCount: experts.count)
        var dWeights = [Float](repeating: 0, count: n * k)   // [n, k] d loss / d routing weight
        for e in grouping.activeExperts {
            let range = grouping.range(of: e), m = range.count
            let xe = Tensor(shape: [m, C]), dye = Tensor(shape: [m, C]), ye = Tensor(shape: [m, C]), dxe = Tensor(shape: [m, C])
            var we = [Float](repeating: 0, count: m), dwe = [Float](repeating: 0, count: m)
            for i in 0..<m { we[i] = routing.weights[grouping.slots[range.lowerBound + i]] }
            grouping.tokens.withUnsafeBufferPointer { tokens in
                let indices = tokens.baseAddress! + range.lowerBound
                Kernels.gatherRows(x, columns: C, indices: indices, count: m, output: xe.pointer)      // xe [m, C]
                Kernels.gatherRows(dy, columns: C, indices: indices, count: m, output: dye.pointer)    // dy rows [m, C]
                for i in 0..<m {                                                                       // expert dy = w dy
                    Kernels.scale(dye.pointer + i * C, by: we[i], count: C, output: dye.pointer + i * C)
                }
                experts[e].backward(xe.pointer, rows: m, outputGradient: dye.pointer,
                                    inputGradient: dxe.pointer, recomputedOutput: ye.pointer)          // dxe [m, C], ye [m, C]
                dwe.withUnsafeMutableBufferPointer { dw in                                             // d w = <dy[t], ye>
                    Kernels.scatterAddRowsWeightGradient(ye.pointer, columns: C, indices: indices, count: m,
                                                         outputGradient: dy, weightGradient: dw.baseAddress!)
                }
                Kernels.scatterAddRows(dxe.pointer, columns: C, indices: indices, count: m, weights: nil, output: dx)  // dx[t] += dxe
            }
            for i in 0..<m { dWeights[grouping.slots[range.lowerBound + i]] = dwe[i] }
        }
        router.backward(routing: routing, rows: n, weightsGradient: dWeights, inputGradient: dx)
        sharedExperts?.backward(x, rows: n, outputGradient: dy, inputGradient: dx)
    }
}
