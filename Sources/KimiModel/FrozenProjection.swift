import Autograd
import LoRA
import Storage

/// Reusable Float32 buffers that INT4 projections dequantize into, one expert matrix at a time,
/// so a layer's routed experts are never all expanded at once. One scratch is shared by every
/// projection of a model; the model runs projections one after another (parallelism lives inside
/// the dequantize loop and the GEMM), so sharing is safe.
///
/// It keeps the last few matrices (least recently used out): an expert's backward touches
/// gate, up, down in its recompute and then down, up, gate in its backward, so three slots let the
/// backward reuse the recompute's dequantization instead of doing it twice.
public final class DequantizationScratch {
    private struct Slot {
        var owner: Int
        var buffer: UnsafeMutableBufferPointer<Float>
        var lastUse: Int
    }
    private var slots: [Slot] = []
    private var clock = 0
    private var nextOwner = 0
    public let slotCount: Int

    public init(slotCount: Int = 3) {
        precondition(slotCount >= 1, "scratch needs at least one slot")
        self.slotCount = slotCount
    }

    deinit { for slot in slots { slot.buffer.deallocate() } }

    /// A new identity for a projection that will dequantize through this scratch.
    func register() -> Int {
        nextOwner += 1
        return nextOwner
    }

    /// The dequantized matrix of `owner` ([count] floats): reused when still held, else `fill`ed into
    /// the least recently used slot. Valid until `slotCount` other owners have been served.
    func weights(owner: Int, count: Int, fill: (UnsafeMutablePointer<Float>) -> Void) -> UnsafePointer<Float> {
        clock += 1
        if let i = slots.firstIndex(where: { $0.owner == owner }) {
            slots[i].lastUse = clock
            return UnsafePointer(slots[i].buffer.baseAddress!)
        }
        let index: Int
        if slots.count < slotCount {
            slots.append(Slot(owner: owner, buffer: .allocate(capacity: max(count, 1)), lastUse: clock))
            index = slots.count - 1
        } else {
            index = slots.indices.min { slots[$0].lastUse < slots[$1].lastUse }!
            if slots[index].buffer.count < count {
                slots[index].buffer.deallocate()
                slots[index].buffer = .allocate(capacity: count)
            }
            slots[index].owner = owner
            slots[index].lastUse = clock
        }
        fill(slots[index].buffer.baseAddress!)
        return UnsafePointer(slots[index].buffer.baseAddress!)
    }
}

/// One frozen linear projection y = x W^T of the base model (W [out, in], PyTorch layout) with the
/// slot where a LoRA adapter plugs in. The base never gets a weight gradient: backward computes
/// only dx = dy W, then lets the adapter accumulate its own gradients and add its part of dx.
public final class FrozenProjection {
    /// How the frozen weight is held: Float32 (converted from BF16 at load) or packed INT4,
    /// dequantized per call into the model's shared scratch.
    public enum Base {
        case dense(Tensor)
        case int4(PackedInt4Matrix)
        /// BF16 left in the memory-mapped shard, converted per call into the shared scratch
        /// (the `mappedBF16` residency, for bases whose dense weights do not fit in RAM as Float32).
        case bfloat16(TensorView)
    }

    public let inFeatures: Int
    public let outFeatures: Int
    public let base: Base
    public var adapter: (any ProjectionAdapter)?
    private let scratch: DequantizationScratch
    /// This projection's identity in the scratch (0 for dense weights, which never use it).
    private let scratchOwner: Int

    public init(base: Base, scratch: DequantizationScratch) {
        switch base {
        case .dense(let w):
            precondition(w.rank == 2, "projection weight must be 2-D, got \(w.shape)")
            outFeatures = w.shape[0]; inFeatures = w.shape[1]
        case .int4(let m):
            outFeatures = m.rows; inFeatures = m.columns
        case .bfloat16(let v):
            precondition(v.shape.count == 2 && v.dtype == .bfloat16, "mapped projection weight must be 2-D BF16, got \(v.dtype) \(v.shape)")
            outFeatures = v.shape[0]; inFeatures = v.shape[1]
        }
        self.base = base
        self.scratch = scratch
        if case .dense = base { scratchOwner = 0 } else { scratchOwner = scratch.register() }
    }

    public var isQuantized: Bool { if case .int4 = base { return true }; return false }

    /// The Float32 weight [out, in]: the stored tensor, or the INT4 matrix dequantized into scratch
    /// (valid until other INT4 projections have used every scratch slot; used at once here).
    private func weightPointer() -> UnsafePointer<Float> {
        switch base {
        case .dense(let w):
            return UnsafePointer(w.pointer)
        case .int4(let m):
            return scratch.weights(owner: scratchOwner, count: m.rows * m.columns) { m.dequantize(rows: 0..<m.rows, into: $0) }
        case .bfloat16(let v):
            // The dtype was checked at load, so the conversion cannot fail here.
            return scratch.weights(owner: scratchOwner, count: v.elementCount) { try! v.copyFloats(into: $0) }
        }
    }

    /// y [rows, out] = x [rows, in] W^T (+ adapter(x)); `accumulate` adds into y.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        let w = weightPointer()
        BLAS.linear(x, rows: rows, inFeatures: inFeatures, weight: w, outFeatures: outFeatures, into: y, accumulate: accumulate)
        adapter?.forward(x, rows: rows, into: y)
    }

    /// dx [rows, in] += dy [rows, out] W; the adapter (given the forward input x) accumulates its
    /// parameter gradients and adds its part of dx. No weight-gradient GEMM for the frozen base.
    public func backward(_ x: UnsafePointer<Float>, rows: Int, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>) {
        let w = weightPointer()
        BLAS.gemm(m: rows, n: inFeatures, k: outFeatures, a: dy, b: w, beta: 1, c: dx)
        adapter?.backward(x, rows: rows, outputGradient: dy, inputGradient: dx)
    }
}
