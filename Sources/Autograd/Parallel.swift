import Dispatch
import Foundation

/// Splits work over the machine's cores. Kernels call `Parallel.forEachChunk` with a total and get
/// disjoint half-open ranges; small totals run inline so tiny tensors pay no dispatch overhead.
public enum Parallel {
    /// Worker count; defaults to the active processor count.
    nonisolated(unsafe) public static var workerCount: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Below this many units of work (elements, or rows times columns) a kernel runs on one thread.
    public static let minimumWorkPerThread = 16_384

    /// Calls `body` with disjoint ranges covering `0..<total`. `cost` is the work per index, used to
    /// decide whether splitting pays.
    public static func forEachChunk(_ total: Int, cost: Int = 1, _ body: (Range<Int>) -> Void) {
        guard total > 0 else { return }
        let workers = Swift.min(workerCount, Swift.max(1, (total * Swift.max(cost, 1)) / minimumWorkPerThread), total)
        if workers <= 1 {
            body(0..<total)
            return
        }
        let chunk = (total + workers - 1) / workers
        // Kernels hand over raw buffer pointers and promise disjoint writes; the box states that
        // promise to the compiler instead of forcing every kernel to wrap its pointers.
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedSendableBox(escapable)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let start = w * chunk
                let end = Swift.min(total, start + chunk)
                if start < end { box.value(start..<end) }
            }
        }
    }
}

/// Carries a non-Sendable value into a concurrent closure whose accesses the caller keeps disjoint.
public struct UncheckedSendableBox<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
