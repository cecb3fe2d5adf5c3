import Autograd
import Foundation
import Testing
import TestSupport
@testable import Storage

@Suite("checkpoint write and read")
struct CheckpointRoundTripTests {
    /// A few tensors of every dtype the generator writes, plus one INT4 module.
    static func sample() -> (specs: [TensorSpec], data: [String: [UInt8]], floats: [String: [Float]], int4: OwnedPackedInt4) {
        var rng = SplitMix64(seed: 3)
        var specs: [TensorSpec] = []
        var data: [String: [UInt8]] = [:]
        var floats: [String: [Float]] = [:]
        for (i, shape) in [[3, 5], [7], [2, 2, 3], [64, 9]].enumerated() {
            let name = "model.layers.\(i).w.weight"
            let values = (0..<shape.reduce(1, *)).map { _ in BFloat16.round(Float(rng.nextGaussian())) }
            specs.append(TensorSpec(name: name, dtype: .bfloat16, shape: shape))
            data[name] = SafetensorsTestFiles.bf16Bytes(values)
            floats[name] = values
        }
        let bias = (0..<5).map { _ in Float(rng.nextGaussian()) }
        specs.append(TensorSpec(name: "model.bias", dtype: .float32, shape: [5]))
        data["model.bias"] = SafetensorsTestFiles.f32Bytes(bias)
        floats["model.bias"] = bias
        let w = (0..<(4 * 64)).map { _ in Float(rng.nextGaussian()) }
        let q = w.withUnsafeBufferPointer { Int4Quantizer.quantize($0.baseAddress!, rows: 4, columns: 64, groupSize: 32, convention: .absmax7) }
        for spec in OwnedPackedInt4.specs(module: "model.experts.0.up_proj", rows: 4, columns: 64, groupSize: 32) {
            specs.append(spec)
            switch spec.dtype {
            case .bfloat16: data[spec.name] = Array(q.scaleBytes)
            case .int32 where spec.shape == [2]: data[spec.name] = SafetensorsTestFiles.i32Bytes([4, 64])
            default: data[spec.name] = Array(q.packedBytes)
            }
        }
        return (specs, data, floats, q)
    }

    static func write(_ s: (specs: [TensorSpec], data: [String: [UInt8]], floats: [String: [Float]], int4: OwnedPackedInt4),
                      to dir: URL, sharding: ShardedCheckpointWriter.Sharding) throws -> [String] {
        try ShardedCheckpointWriter(directory: dir, sharding: sharding).write(s.specs) { spec, writer in
            try writer.append(contentsOf: s.data[spec.name]!)
        }
    }

    @Test("sharded and single-file checkpoints round-trip every tensor", arguments: [1, 3, 6])
    func roundTrip(shards: Int) throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let s = Self.sample()
        let names = try Self.write(s, to: dir.url, sharding: .shardCount(shards))
        #expect(names.count == shards)
        #expect(FileManager.default.fileExists(atPath: dir.file(CheckpointReader.indexFileName).path) == (shards > 1))
        let reader = try CheckpointReader(directory: dir.url)
        #expect(Set(reader.tensorNames) == Set(s.specs.map(\.name)))
        for (name, values) in s.floats {
            #expect(try reader.floats(name).array == values, "\(name)")
            #expect(try reader.shape(of: name) == s.specs.first { $0.name == name }!.shape)
        }
        for shard in reader.shards { #expect(shard.metadata == ["format": "pt"]) }
        let m = try #require(try reader.packedInt4(module: "model.experts.0.up_proj"))
        #expect(m.rows == 4 && m.columns == 64 && m.groupSize == 32)
        #expect(m.dequantized().array == s.int4.matrix.dequantized().array)
        #expect(try reader.packedInt4(module: "model.layers.0.w") == nil)
        if shards > 1 {
            let index = try JSONParser.parse(Array(Data(contentsOf: dir.file(CheckpointReader.indexFileName))))
            let expectedTotal = s.specs.reduce(0) { $0 + $1.byteCount }
            #expect(index["metadata"]?["total_size"] == .int(expectedTotal))
        }
    }

    @Test("a maximum shard size splits shards without exceeding it")
    func maximumShardSize() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let s = Self.sample()
        let names = try Self.write(s, to: dir.url, sharding: .maximumShardBytes(1200))
        #expect(names.count > 1)
        let reader = try CheckpointReader(directory: dir.url)
        for shard in reader.shards { #expect(shard.names.reduce(0) { $0 + shard.byteCount(of: $1)! } <= 1200) }
    }

    @Test("a shard named by the index but missing names the shard and a tensor")
    func missingShard() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let names = try Self.write(Self.sample(), to: dir.url, sharding: .shardCount(3))
        try FileManager.default.removeItem(at: dir.file(names[1]))
        #expect {
            try CheckpointReader(directory: dir.url)
        } throws: { error in
            let text = "\(error)"
            return text.contains(names[1]) && text.contains("tensor '") && text.contains(CheckpointReader.indexFileName)
        }
    }

    @Test("a tensor the index names but its shard lacks is an error")
    func indexNamesAbsentTensor() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let names = try Self.write(Self.sample(), to: dir.url, sharding: .shardCount(2))
        let url = dir.file(CheckpointReader.indexFileName)
        var text = try String(contentsOf: url, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"weight_map\": {", with: "\"weight_map\": {\n    \"model.ghost.weight\": \"\(names[0])\",")
        try text.write(to: url, atomically: true, encoding: .utf8)
        #expect { try CheckpointReader(directory: dir.url) } throws: { "\($0)".contains("model.ghost.weight") }
    }

    @Test("malformed index and empty folders are errors", arguments: ["{\"weight_map\": 3}", "{nope", "{\"weight_map\": {\"a\": 1}}",
                                                                  "{\"weight_map\": {\"a\": \"../x.safetensors\"}}", "{\"weight_map\": {\"a\": \"/etc/x\"}}"])
    func malformedIndex(text: String) throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        #expect { try CheckpointReader(directory: dir.url) } throws: { "\($0)".contains("no model.safetensors") }
        try text.write(to: dir.file(CheckpointReader.indexFileName), atomically: true, encoding: .utf8)
        #expect { try CheckpointReader(directory: dir.url) } throws: { "\($0)".contains(CheckpointReader.indexFileName) }
    }

    @Test("weight_shape inconsistent with weight_packed names the tensor", arguments: [[4, 72], [5, 64], [4, 60]])
    func inconsistentWeightShape(declared: [Int32]) throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        var s = Self.sample()
        s.data["model.experts.0.up_proj.weight_shape"] = SafetensorsTestFiles.i32Bytes(declared)
        _ = try Self.write(s, to: dir.url, sharding: .shardCount(1))
        let reader = try CheckpointReader(directory: dir.url)
        #expect { try reader.packedInt4(module: "model.experts.0.up_proj") } throws: {
            "\($0)".contains("model.experts.0.up_proj.weight_shape") && "\($0)".contains("inconsistent")
        }
    }

    @Test("a group size that does not match the scales is an error")
    func wrongGroupSize() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        _ = try Self.write(Self.sample(), to: dir.url, sharding: .shardCount(1))
        let reader = try CheckpointReader(directory: dir.url, expectedGroupSize: 16)
        #expect { try reader.packedInt4(module: "model.experts.0.up_proj") } throws: { "\($0)".contains("weight_scale") }
    }

    @Test("FP8 weights dequantize through weight_scale_inv")
    func fp8() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let specs = [TensorSpec(name: "w.weight", dtype: .float8E4M3, shape: [2, 3]),
                     TensorSpec(name: "w.weight_scale_inv", dtype: .float32, shape: [1, 1])]
        try ShardedCheckpointWriter(directory: dir.url, sharding: .shardCount(1)).write(specs) { spec, writer in
            if spec.dtype == .float32 { try writer.append(contentsOf: [Float(0.5)]) }
            else { try writer.append(contentsOf: [UInt8]([0x38, 0xC0, 0x3C, 0x00, 0x7E, 0x01])) }
        }
        let values = try CheckpointReader(directory: dir.url).floats("w.weight").array
        #expect(values == [0.5, -1, 0.75, 0, 224, 0.0009765625])
    }

    @Test("a writer that is not given all its data fails and leaves no file behind")
    func incompleteWrite() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let url = dir.file("x.safetensors")
        let writer = try SafetensorsWriter(destination: url, tensors: [TensorSpec(name: "a", dtype: .float32, shape: [2])])
        try writer.append(contentsOf: [Float(1)])
        #expect(throws: CheckpointError.self) { try writer.finish() }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test("sparse shards read as zeros and keep their declared size")
    func sparse() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let specs = [TensorSpec(name: "big", dtype: .bfloat16, shape: [1024, 1024])]
        try ShardedCheckpointWriter(directory: dir.url, sharding: .shardCount(1)).write(specs, sparse: true) { _, _ in }
        let reader = try CheckpointReader(directory: dir.url)
        let t = try reader.floats("big")
        #expect(t.array.allSatisfy { $0 == 0 } && t.count == 1 << 20)
    }

    @Test("weight_shape stored as I64 (what compressed-tensors itself writes) is accepted")
    func int64WeightShape() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        var s = Self.sample()
        let i = s.specs.firstIndex { $0.name.hasSuffix(".weight_shape") }!
        s.specs[i].dtype = .int64
        s.data[s.specs[i].name] = [Int64(4), Int64(64)].flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        _ = try Self.write(s, to: dir.url, sharding: .shardCount(1))
        let m = try #require(try CheckpointReader(directory: dir.url).packedInt4(module: "model.experts.0.up_proj"))
        #expect(m.rows == 4 && m.columns == 64)
        #expect(m.dequantized().array == s.int4.matrix.dequantized().array)
    }
}
