import Foundation

/// SiLU, sigmoid and SwiGLU over `count` contiguous floats. Backward kernels accumulate.
extension Kernels {
    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }

    /// output = x * sigmoid(x). x, output [count]; output may alias x.
    public static func siluForward(_ x: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count, cost: 8) { range in
            for i in range { output[i] = x[i] * sigmoid(x[i]) }
        }
    }

    /// inputGradient += outputGradient * s(x) (1 + x (1 - s(x))). All [count].
    public static func siluBackward(_ x: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, count: Int,
                                    inputGradient: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count, cost: 8) { range in
            for i in range {
                let s = sigmoid(x[i])
                inputGradient[i] += outputGradient[i] * s * (1 + x[i] * (1 - s))
            }
        }
    }

    /// output = 1 / (1 + exp(-x)). x, output [count]; output may alias x.
    public static func sigmoidForward(_ x: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count, cost: 8) { range in
            for i in range { output[i] = sigmoid(x[i]) }
        }
    }

    /// inputGradient += outputGradient * y (1 - y), from the saved forward output y. All [count].
    public static func sigmoidBackward(output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, count: Int,
                                       inputGradient: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count) { range in
            for i in range { inputGradient[i] += outputGradient[i] * output[i] * (1 - output[i]) }
        }
    }

    /// output = silu(gate) * up (the DeepseekV3 MLP's act_fn(gate_proj(x)) * up_proj(x)). All [count].
    public static func swigluForward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                                     output: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count, cost: 8) { range in
            for i in range { output[i] = gate[i] * sigmoid(gate[i]) * up[i] }
        }
    }

    /// gateGradient += g * up * silu'(gate); upGradient += g * silu(gate). All [count]. Either
    /// gradient may be nil when nobody needs it.
    public static func swigluBackward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                                      outputGradient: UnsafePointer<Float>, count: Int,
                                      gateGradient: UnsafeMutablePointer<Float>?,
                                      upGradient: UnsafeMutablePointer<Float>?) {
        Parallel.forEachChunk(count, cost: 8) { range in
            for i in range {
                let s = sigmoid(gate[i])
                let g = outputGradient[i]
                if let gateGradient { gateGradient[i] += g * up[i] * s * (1 + gate[i] * (1 - s)) }
                if let upGradient { upGradient[i] += g * gate[i] * s }
            }
        }
    }
}
