import Foundation

/// Where the base's BF16 (non-expert) weights live while training. INT4 experts always stay packed
/// in the memory-mapped shards; this decides the rest: attention, shared experts, the dense MLP,
/// embeddings and lm_head.
public enum DenseWeightResidency: String, Sendable, CaseIterable {
    /// Expanded to Float32 at load: fastest per step, 2x the BF16 bytes in RAM.
    case float32
    /// Left BF16 in the memory-mapped shards (page cache) and converted per use into a reused
    /// scratch: what a real 1T checkpoint needs on a host whose RAM is smaller than its dense weights.
    case mappedBF16 = "mapped-bf16"

    /// Float32 when the expanded dense weights take at most `fraction` of physical memory.
    public static func automatic(denseBF16Bytes: Int, physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory,
                                 fraction: Double = 0.4) -> DenseWeightResidency {
        Double(2 * denseBF16Bytes) <= fraction * Double(physicalMemory) ? .float32 : .mappedBF16
    }
}
