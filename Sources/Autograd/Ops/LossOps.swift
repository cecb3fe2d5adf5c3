/// The training loss on the tape.
extension Tape {
    /// Mean cross-entropy of logits [N, V] against labels [N], ignoring Kernels.ignoreLabel (-100):
    /// the mean is over counted tokens, as PyTorch's reduction="mean". Returns a scalar (shape []);
    /// 0 when every label is ignored. The gradient (softmax - onehot) / count is computed in the
    /// same pass as the loss and only scaled by the upstream gradient in backward.
    public func crossEntropy(_ logits: Variable, labels: [Int32]) -> Variable {
        precondition(logits.value.rank == 2 && logits.shape[0] == labels.count,
                     "crossEntropy: logits \(logits.shape) need one label per row (\(labels.count))")
        let N = logits.shape[0], V = logits.shape[1]
        var count = 0
        for label in labels where label != Kernels.ignoreLabel { count += 1 }
        let gradient: Tensor? = logits.requiresGradient ? Tensor(shape: logits.shape) : nil
        let (lossSum, counted) = Kernels.crossEntropyForward(logits: logits.value.pointer, labels: labels, rows: N,
                                                             vocabulary: V, logitsGradient: gradient?.pointer,
                                                             gradientScale: count > 0 ? 1 / Float(count) : 0)
        let y = Tensor(shape: [])
        y.pointer[0] = counted > 0 ? Float(lossSum / Double(counted)) : 0
        let output = result(y, inputs: [logits])
        record(output) { g in
            guard let gradient, let dl = logits.gradientPointerIfNeeded() else { return }
            Kernels.axpy(alpha: g.pointer[0], gradient.pointer, count: gradient.count, y: dl)
        }
        return output
    }
}
