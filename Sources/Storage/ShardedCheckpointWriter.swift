import Foundation

/// Writes a checkpoint's tensors as safetensors shards plus `model.safetensors.index.json`
/// (`{"metadata": {"total_size": N}, "weight_map": {tensor: shard}}`), one shard at a time, each
/// atomically. One shard is written as plain `model.safetensors` with no index, as transformers does.
public struct ShardedCheckpointWriter {
    public enum Sharding: Sendable {
        /// Start a new shard before one would exceed this many data bytes (a larger tensor gets
        /// a shard of its own).
        case maximumShardBytes(Int)
        /// Exactly this many shards (fewer if there are fewer tensors), split evenly by bytes.
        case shardCount(Int)
    }

    public let directory: URL
    public let sharding: Sharding

    public init(directory: URL, sharding: Sharding) {
        self.directory = directory
        self.sharding = sharding
    }

    /// Groups `specs` (in the given order) into shards.
    public func plan(_ specs: [TensorSpec]) -> [[TensorSpec]] {
        var shards: [[TensorSpec]] = []
        var current: [TensorSpec] = []
        var currentBytes = 0
        switch sharding {
        case .maximumShardBytes(let limit):
            for spec in specs {
                if !current.isEmpty && currentBytes + spec.byteCount > limit {
                    shards.append(current); current = []; currentBytes = 0
                }
                current.append(spec); currentBytes += spec.byteCount
            }
        case .shardCount(let count):
            let total = specs.reduce(0) { $0 + $1.byteCount }
            let n = max(1, min(count, specs.count))
            var cumulative = 0
            for (i, spec) in specs.enumerated() {
                current.append(spec)
                cumulative += spec.byteCount
                let shardsLeft = n - shards.count - 1
                let tensorsLeft = specs.count - i - 1
                let reachedTarget = Double(cumulative) >= Double(total) * Double(shards.count + 1) / Double(n)
                if shardsLeft > 0 && (reachedTarget || tensorsLeft == shardsLeft) {
                    shards.append(current); current = []
                }
            }
        }
        if !current.isEmpty || shards.isEmpty { shards.append(current) }
        return shards
    }

    public static func shardFileName(_ index: Int, of count: Int) -> String {
        count == 1 ? CheckpointReader.singleFileName : String(format: "model-%05d-of-%05d.safetensors", index + 1, count)
    }

    /// Writes every shard, calling `data(spec, writer)` once per tensor in each shard's write
    /// order to stream that tensor's bytes. When `sparse`, only tensors `keepInSparse` selects
    /// are written (small metadata such as INT4 `weight_shape`, so loaders still see consistent
    /// shapes); the rest stay holes of zeros that take no disk space. Returns the shard file names.
    @discardableResult
    public func write(_ specs: [TensorSpec], sparse: Bool = false,
                      keepInSparse: (TensorSpec) -> Bool = { _ in false },
                      data: (TensorSpec, SafetensorsWriter) throws -> Void) throws -> [String] {
        let shards = plan(specs)
        var weightMap: [(String, JSONValue)] = []
        var names: [String] = []
        var total = 0
        for (i, shard) in shards.enumerated() {
            let name = Self.shardFileName(i, of: shards.count)
            let ordered = SafetensorsWriter.alignedOrder(shard)
            let writer = try SafetensorsWriter(destination: directory.appendingPathComponent(name), tensors: ordered)
            for spec in ordered {
                if !sparse || keepInSparse(spec) { try data(spec, writer) } else { try writer.skipCurrentTensor() }
            }
            try writer.finish(sparse: sparse)
            total += writer.totalDataBytes
            names.append(name)
            weightMap += shard.map { ($0.name, .string(name)) }
        }
        if shards.count > 1 {
            weightMap.sort { $0.0 < $1.0 }
            let index = JSONValue.object(JSONObject([
                ("metadata", .object(JSONObject([("total_size", .int(total))]))),
                ("weight_map", .object(JSONObject(weightMap))),
            ]))
            try AtomicFile.write(JSONSerializer(indent: 2).serialize(index) + "\n",
                                 to: directory.appendingPathComponent(CheckpointReader.indexFileName))
        }
        return names
    }
}
