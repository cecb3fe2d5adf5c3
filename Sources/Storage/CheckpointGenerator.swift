import Autograd
import Foundation

/// Writes a Kimi-shaped checkpoint in the real on-disk format (`kimi-sft init`): config.json,
/// sharded safetensors with an index, routed experts INT4 pack-quantized (absmax/7, the
/// convention Kimi's released codes follow), router bias F32, everything else BF16, plus the
/// tokenizer files the caller supplies (Storage cannot build a BPE vocabulary itself).
///
/// Weights are uniform with the standard deviation transformers' DeepseekV3 initialises with
/// (initializer_range 0.02), norms are ones. Every tensor draws from its own stream seeded by
/// (seed, tensor name, block), so the output does not depend on thread count or shard layout.
public struct CheckpointGenerator {
    public struct Options: Sendable {
        public var preset: CheckpointPreset
        public var nested: Bool
        public var seed: UInt64
        /// Write shards as holes of zeros (ftruncate): the true layout at no disk cost. Only the
        /// 8-byte INT4 `weight_shape` tensors are written, so INT4 modules still load.
        public var sparse: Bool
        /// File name -> contents (tiktoken.model, tokenizer_config.json, chat_template.jinja...).
        public var extraFiles: [(name: String, contents: [UInt8])]
        /// The tokenizer's base rank count when it differs from the preset's (vocab_size and the
        /// special-token ids in config.json follow it).
        public var baseTokenCount: Int?

        public init(preset: CheckpointPreset, nested: Bool? = nil, seed: UInt64 = 0, sparse: Bool = false,
                    extraFiles: [(name: String, contents: [UInt8])] = []) {
            self.preset = preset; self.nested = nested ?? preset.defaultNested; self.seed = seed
            self.sparse = sparse; self.extraFiles = extraFiles
        }
    }

    public struct Summary: Sendable {
        public let config: KimiConfig
        public let shardFiles: [String]
        public let tensorCount: Int
        public let dataBytes: Int
    }

    public static let initializerRange: Float = 0.02

    /// lm_head's standard deviation: 1/sqrt(hidden) (never below the initializer range). With 0.02
    /// a 64-wide model's logits span about ±1 whatever its hidden state, so no adapter could move
    /// its loss far from log(vocab); a trained model's logits span far more.
    public static func lmHeadStandardDeviation(hiddenSize: Int) -> Float {
        max(initializerRange, 1 / Float(hiddenSize).squareRoot())
    }
    public static let routerBiasStandardDeviation: Float = 0.01

    @discardableResult
    public static func generate(_ options: Options, into directory: URL) throws -> Summary {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory.appendingPathComponent("config.json").path) {
            throw CheckpointError.io(file: directory.path, reason: "already holds a checkpoint (config.json exists); choose an empty folder")
        }
        do { try fm.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw CheckpointError.io(file: directory.path, reason: "cannot create folder (\(error.localizedDescription))")
        }
        let config = options.preset.config(nested: options.nested, baseTokens: options.baseTokenCount)
        let layout = KimiTensorLayout(config: config)
        let specs = layout.tensorSpecs()
        let source = WeightSource(layout: layout, seed: options.seed)
        let writer = ShardedCheckpointWriter(directory: directory, sharding: options.preset.sharding)
        let shards = try writer.write(specs, sparse: options.sparse, keepInSparse: { $0.name.hasSuffix(".weight_shape") }) { spec, out in
            try source.write(spec, to: out)
        }
        for file in options.extraFiles {
            try AtomicFile.write(file.contents, to: directory.appendingPathComponent(file.name))
        }
        // config.json last: its presence marks a complete checkpoint.
        try KimiConfigFile(config: config, raw: config.generatedJSON()).write(to: directory)
        return Summary(config: config, shardFiles: shards, tensorCount: specs.count,
                       dataBytes: specs.reduce(0) { $0 + $1.byteCount })
    }
}

/// Produces each tensor's bytes on demand while the shard writer streams them.
final class WeightSource {
    enum Kind { case ones, random(Float), int4(module: String, rows: Int, columns: Int) }
    let seed: UInt64
    let groupSize: Int
    var kinds: [String: Kind] = [:]
    /// INT4 modules quantized once and kept until both packed words and scales are written
    /// (the writer puts all I32 tensors of a shard before its BF16 ones).
    var pending: [String: (matrix: OwnedPackedInt4, uses: Int)] = [:]

    init(layout: KimiTensorLayout, seed: UInt64) {
        self.seed = seed
        groupSize = layout.config.quantization?.groupSize ?? 32
        for entry in layout.entries {
            if layout.isQuantized(entry) {
                let kind = Kind.int4(module: entry.name, rows: entry.shape[0], columns: entry.shape[1])
                for name in entry.tensorNames(quantized: true) { kinds[name] = kind }
            } else if entry.role == .norm {
                kinds[entry.name] = .ones
            } else if entry.role == .routerBias {
                kinds[entry.name] = .random(CheckpointGenerator.routerBiasStandardDeviation)
            } else if entry.role == .lmHead {
                kinds[entry.name + ".weight"] = .random(CheckpointGenerator.lmHeadStandardDeviation(hiddenSize: layout.config.hiddenSize))
            } else {
                kinds[entry.isLinear ? entry.name + ".weight" : entry.name] = .random(CheckpointGenerator.initializerRange)
            }
        }
    }

    func write(_ spec: TensorSpec, to out: SafetensorsWriter) throws {
        guard let kind = kinds[spec.name] else { preconditionFailure("no generator for \(spec.name)") }
        switch kind {
        case .ones:
            try out.append(contentsOf: [UInt16](repeating: BFloat16.fromFloat(1).littleEndian, count: spec.elementCount))
        case .random(let std):
            try writeRandom(spec, std: std, to: out)
        case .int4(let module, let rows, let columns):
            if spec.name.hasSuffix(".weight_shape") {
                try out.append(contentsOf: [Int32(rows).littleEndian, Int32(columns).littleEndian])
                return
            }
            var entry = pending[module] ?? (quantizedExpert(module, rows: rows, columns: columns), 0)
            try out.append(spec.name.hasSuffix(".weight_packed") ? entry.matrix.packedBytes : entry.matrix.scaleBytes)
            entry.uses += 1
            pending[module] = entry.uses == 2 ? nil : entry
        }
    }

    /// The float weights of an expert before quantization (also what tests regenerate).
    func quantizedExpert(_ module: String, rows: Int, columns: Int) -> OwnedPackedInt4 {
        let w = Tensor(shape: [rows, columns])
        RandomFill.uniform(w.pointer, count: w.count, standardDeviation: CheckpointGenerator.initializerRange,
                           seed: RandomFill.seed(seed, module + ".weight"))
        return Int4Quantizer.quantize(w.pointer, rows: rows, columns: columns, groupSize: groupSize, convention: .absmax7)
    }

    /// Streams a random tensor in chunks so a large embedding never sits in memory whole.
    private func writeRandom(_ spec: TensorSpec, std: Float, to out: SafetensorsWriter) throws {
        let tensorSeed = RandomFill.seed(seed, spec.name)
        let chunk = RandomFill.blockSize * 16
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
        defer { floats.deallocate() }
        var bf16 = [UInt16](repeating: 0, count: spec.dtype == .bfloat16 ? chunk : 0)
        var start = 0
        while start < spec.elementCount {
            let n = min(chunk, spec.elementCount - start)
            RandomFill.uniform(floats, count: n, standardDeviation: std, seed: tensorSeed, firstBlock: start / RandomFill.blockSize)
            if spec.dtype == .float32 {
                try out.append(UnsafeRawBufferPointer(start: floats, count: n * 4))
            } else {
                bf16.withUnsafeMutableBufferPointer { BFloat16.convert(floats, to: $0.baseAddress!, count: n) }
                try bf16.withUnsafeBytes { try out.append(UnsafeRawBufferPointer(rebasing: $0[0..<(n * 2)])) }
            }
            start += n
        }
    }
}

/// Deterministic uniform noise in blocks, each block its own SplitMix64 stream, so any range can
/// be generated in parallel or in pieces and give the same numbers.
public enum RandomFill {
    public static let blockSize = 1 << 16

    /// A stream seed from the user's seed and a tensor name (FNV-1a of the name).
    public static func seed(_ base: UInt64, _ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h ^ (base &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Fills `count` values, uniform in [-a, a] with a = std * sqrt(3); `firstBlock` is the block
    /// index of `destination[0]` within the tensor (count must be whole blocks except at the end).
    public static func uniform(_ destination: UnsafeMutablePointer<Float>, count: Int, standardDeviation: Float,
                               seed: UInt64, firstBlock: Int = 0) {
        let a = standardDeviation * Float(3).squareRoot()
        let blocks = (count + blockSize - 1) / blockSize
        Parallel.forEachChunk(blocks, cost: blockSize) { range in
            for b in range {
                var rng = SplitMix64(seed: seed ^ (UInt64(firstBlock + b) &* 0xD1B5_4A32_D192_ED03))
                let start = b * blockSize, end = min(count, start + blockSize)
                for i in start..<end {
                    let unit = Float(rng.next() >> 40) * (1.0 / 16_777_216.0)   // [0, 1) with 24 bits
                    destination[i] = (2 * unit - 1) * a
                }
            }
        }
    }
}
