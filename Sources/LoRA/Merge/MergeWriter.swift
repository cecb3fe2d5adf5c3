import Autograd
import Storage

/// Produces each output tensor's bytes for `CheckpointMerge`, holding at most one merged module
/// in memory (the re-quantized expert whose packed words and scales are written back to back).
final class MergeWriter {
    let reader: CheckpointReader
    let adapters: LoRAAdapterSet
    let convention: Int4Quantizer.ScaleConvention
    let log: (String) -> Void
    private(set) var survival: [DeltaSurvival] = []
    private var measured: Set<String> = []
    private var current: (module: String, merge: QuantizedMerge)?

    init(reader: CheckpointReader, adapters: LoRAAdapterSet, convention: Int4Quantizer.ScaleConvention, log: @escaping (String) -> Void) {
        self.reader = reader; self.adapters = adapters; self.convention = convention; self.log = log
    }

    func write(_ spec: TensorSpec, source: MergePlan.Source, into file: SafetensorsWriter) throws {
        switch source {
        case .copy:
            try file.append(try reader.view(spec.name).bytes)
        case .dense(let module):
            let before = try reader.floats(spec.name)
            try writeMerged(module: module, before: before, dtype: spec.dtype, storage: spec.dtype.rawValue.lowercased(), into: file)
        case .dequantized(let module):
            guard let matrix = try reader.packedInt4(module: module) else { throw CheckpointError.missingTensor(tensor: module + ".weight_packed", checkpoint: reader.directory.path) }
            let before = matrix.dequantized()
            try writeMerged(module: module, before: before, dtype: .bfloat16, storage: "bf16", into: file)
        case .requantizedPacked(let module):
            try file.append(try requantized(module).packed.packedBytes)
        case .requantizedScale(let module):
            try file.append(try requantized(module).packed.scaleBytes)
        }
    }

    /// before (+ s B A when adapted), converted to `dtype` and appended; records survival.
    private func writeMerged(module: String, before: Tensor, dtype: SafetensorsDType, storage: String, into file: SafetensorsWriter) throws {
        let n = before.count
        let merged = before.copy()
        var delta: Tensor?
        if let adapter = adapters[module] {
            let d = Tensor(shape: before.shape)
            adapter.addDelta(into: d.pointer)
            let m = merged.pointer, dp = UnsafePointer(d.pointer)
            Parallel.forEachChunk(n) { range in for i in range { m[i] += dp[i] } }
            delta = d
        }
        switch dtype {
        case .float32:
            try file.append(UnsafeRawBufferPointer(start: merged.pointer, count: n * 4))
        case .bfloat16:
            let bits = UnsafeMutablePointer<UInt16>.allocate(capacity: max(n, 1))
            defer { bits.deallocate() }
            let m = merged.pointer
            Parallel.forEachChunk(n) { range in
                for i in range {
                    bits[i] = BFloat16.fromFloat(m[i]).littleEndian
                    m[i] = BFloat16.toFloat(UInt16(littleEndian: bits[i]))
                }
            }
            try file.append(UnsafeRawBufferPointer(start: bits, count: n * 2))
        case .float16:
            let halves = UnsafeMutablePointer<UInt16>.allocate(capacity: max(n, 1))
            defer { halves.deallocate() }
            let m = merged.pointer
            for i in 0..<n {
                let h = Float16(m[i])
                halves[i] = h.bitPattern.littleEndian
                m[i] = Float(h)
            }
            try file.append(UnsafeRawBufferPointer(start: halves, count: n * 2))
        default:
            throw MergeError.unsupportedDType(tensor: module, dtype: dtype.rawValue)
        }
        if let d = delta {
            record(DeltaSurvival(module: module, storage: storage, before: before.pointer, after: merged.pointer, delta: d.pointer, count: n))
        }
    }

    /// The re-quantized merge of an adapted INT4 module, computed on first use and kept until
    /// another module is asked for.
    private func requantized(_ module: String) throws -> QuantizedMerge {
        if let c = current, c.module == module { return c.merge }
        current = nil
        guard let matrix = try reader.packedInt4(module: module), let adapter = adapters[module] else {
            throw CheckpointError.missingTensor(tensor: module + ".weight_packed", checkpoint: reader.directory.path)
        }
        let merge = QuantizedMerge(base: matrix, adapter: adapter, convention: convention)
        current = (module, merge)
        if !measured.contains(module) {
            record(DeltaSurvival(module: module, storage: "int4", before: merge.base.pointer, after: merge.merged.pointer,
                                 delta: merge.delta.pointer, count: merge.base.count))
        }
        return merge
    }

    private func record(_ s: DeltaSurvival) {
        guard measured.insert(s.module).inserted else { return }
        survival.append(s)
        log(s.line)
    }
}
