import Autograd

/// Shuffles that depend only on (seed, stream): the eval split, and each epoch's data order.
/// Swift's `shuffle()` algorithm is not specified across releases, so the Fisher-Yates here is
/// spelled out: a resumed run (or the same recipe next year) sees the same order.
enum SeededShuffle {
    static func generator(seed: UInt64, stream: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        return SplitMix64(seed: mixer.next())
    }

    static func shuffle(_ values: inout [Int], using generator: inout SplitMix64) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            values.swapAt(i, j)
        }
    }

    /// The order of `count` rows in epoch `epoch` (0-based).
    static func epochOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<count)
        var generator = generator(seed: seed, stream: UInt64(epoch) &+ 1)
        shuffle(&order, using: &generator)
        return order
    }
}
