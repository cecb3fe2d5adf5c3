import Autograd
import Foundation

/// A checkpoint folder's weights: every shard named by `model.safetensors.index.json`, or the one
/// `model.safetensors`, memory-mapped with headers validated at open. Conforms to `WeightStore`,
/// so the model asks for one tensor at a time and only touched pages are ever read.
public final class CheckpointReader: WeightStore, @unchecked Sendable {
    public let directory: URL
    /// Shards in file-name order.
    public let shards: [SafetensorsFile]
    /// Tensor name -> index into `shards`.
    private let shardOfTensor: [String: Int]
    /// The INT4 group size the config promises, checked against scale shapes when set.
    public let expectedGroupSize: Int?

    public static let indexFileName = "model.safetensors.index.json"
    public static let singleFileName = "model.safetensors"

    public init(directory: URL, expectedGroupSize: Int? = nil) throws {
        self.directory = directory
        self.expectedGroupSize = expectedGroupSize
        let fm = FileManager.default
        let indexURL = directory.appendingPathComponent(Self.indexFileName)
        var files: [SafetensorsFile] = []
        var map: [String: Int] = [:]
        if fm.fileExists(atPath: indexURL.path) {
            let weightMap = try Self.readIndex(indexURL)
            var shardIndex: [String: Int] = [:]
            for (tensor, shardName) in weightMap {
                if let i = shardIndex[shardName] { map[tensor] = i; continue }
                let path = directory.appendingPathComponent(shardName).path
                guard fm.fileExists(atPath: path) else {
                    throw CheckpointError.missingShard(file: path, tensor: tensor, indexFile: indexURL.path)
                }
                shardIndex[shardName] = files.count
                map[tensor] = files.count
                files.append(try SafetensorsFile(path: path))
            }
            for (tensor, i) in map where !files[i].contains(tensor) {
                throw CheckpointError.missingTensor(tensor: tensor, checkpoint: files[i].path + " (named by \(Self.indexFileName))")
            }
        } else {
            let single = directory.appendingPathComponent(Self.singleFileName)
            guard fm.fileExists(atPath: single.path) else { throw CheckpointError.noWeights(directory: directory.path) }
            let file = try SafetensorsFile(path: single.path)
            files = [file]
            for name in file.names { map[name] = 0 }
        }
        shards = files
        shardOfTensor = map
    }

    /// `weight_map` of an index, in file order.
    static func readIndex(_ url: URL) throws -> [(String, String)] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError.io(file: url.path, reason: "cannot read (\(error.localizedDescription))")
        }
        let json: JSONValue
        do { json = try data.withUnsafeBytes { try JSONParser.parse($0, source: url.path) } } catch {
            throw CheckpointError.malformedIndex(file: url.path, reason: "\(error)")
        }
        guard let weightMap = json["weight_map"]?.objectValue else {
            throw CheckpointError.malformedIndex(file: url.path, reason: "no 'weight_map' object")
        }
        return try weightMap.pairs.map { pair in
            // Shards live beside the index: a relative name without '..' components.
            guard let shard = pair.value.stringValue, !shard.isEmpty, !shard.hasPrefix("/"),
                  !shard.split(separator: "/").contains("..") else {
                throw CheckpointError.malformedIndex(file: url.path, reason: "weight_map['\(pair.key)'] is not a shard file name beside the index")
            }
            return (pair.key, shard)
        }
    }

    /// Every tensor name, shard by shard in header order.
    public var tensorNames: [String] { shards.flatMap { $0.names } }

    public func shard(of name: String) -> SafetensorsFile? { shardOfTensor[name].map { shards[$0] } }

    public func view(_ name: String) throws -> TensorView {
        guard let v = shard(of: name)?.view(name) else { throw CheckpointError.missingTensor(tensor: name, checkpoint: directory.path) }
        return v
    }

    // MARK: WeightStore

    public func contains(_ name: String) -> Bool { shardOfTensor[name] != nil }

    public func shape(of name: String) throws -> [Int] { try view(name).shape }

    public func floats(_ name: String) throws -> Tensor {
        let v = try view(name)
        guard v.dtype == .float8E4M3 else { return try v.floats() }
        // FP8 (first K2-Instruct release): one F32 scale_inv per 128x128 block.
        let scaleName = name.hasSuffix(".weight") ? name + "_scale_inv" : name + ".weight_scale_inv"
        let scales = try view(scaleName)
        guard v.shape.count == 2 else {
            throw CheckpointError.unexpectedTensor(file: v.file, tensor: name, reason: "FP8 weight of shape \(v.shape) is not 2-D")
        }
        let rows = v.shape[0], columns = v.shape[1], block = FP8E4M3.blockSize
        let expected = [(rows + block - 1) / block, (columns + block - 1) / block]
        guard scales.dtype == .float32, scales.shape == expected else {
            throw CheckpointError.unexpectedTensor(file: scales.file, tensor: scaleName,
                reason: "\(scales.dtype.rawValue) \(scales.shape), expected F32 \(expected) for FP8 weight \(v.shape)")
        }
        let scaleValues = try scales.floatsAsTensor()
        let out = Tensor(shape: v.shape)
        if let codes = v.bytes.baseAddress {
            FP8E4M3.dequantize(codes: codes, rows: rows, columns: columns, scaleInverse: scaleValues.pointer, into: out.pointer)
        }
        return out
    }

    public func bfloat16View(_ name: String) throws -> TensorView? {
        let v = try view(name)
        return v.dtype == .bfloat16 ? v : nil
    }

    public func packedInt4(module: String) throws -> PackedInt4Matrix? {
        guard contains(module + ".weight_packed") else { return nil }
        let packed = try view(module + ".weight_packed")
        let scale = try view(module + ".weight_scale")
        let shapeView = try view(module + ".weight_shape")
        func bad(_ v: TensorView, _ reason: String) -> CheckpointError { .unexpectedTensor(file: v.file, tensor: v.name, reason: reason) }
        guard packed.dtype == .int32, packed.shape.count == 2 else {
            throw bad(packed, "\(packed.dtype.rawValue) \(packed.shape), expected a 2-D I32 tensor")
        }
        guard shapeView.dtype == .int32 || shapeView.dtype == .int64, shapeView.shape == [2] else {
            throw bad(shapeView, "\(shapeView.dtype.rawValue) \(shapeView.shape), expected I32 [2] holding [out, in]")
        }
        let declared: [Int]
        if shapeView.dtype == .int32 { declared = try shapeView.int32Values().map(Int.init) }
        else { declared = (0..<2).map { Int(Int64(littleEndian: shapeView.bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) } }
        let rows = declared[0], columns = declared[1]
        guard rows == packed.shape[0], columns > 0, columns % 8 == 0, columns / 8 == packed.shape[1] else {
            throw bad(shapeView, "weight_shape [\(rows), \(columns)] is inconsistent with weight_packed \(packed.shape) (expected [\(packed.shape[0]), \(packed.shape[1] * 8)])")
        }
        guard scale.dtype == .bfloat16, scale.shape.count == 2, scale.shape[0] == rows, scale.shape[1] > 0 else {
            throw bad(scale, "\(scale.dtype.rawValue) \(scale.shape), expected BF16 [\(rows), groups]")
        }
        let groups = scale.shape[1]
        let groupSize = expectedGroupSize ?? (columns + groups - 1) / groups
        guard (columns + groupSize - 1) / groupSize == groups else {
            throw bad(scale, "\(groups) scale groups per row do not fit \(columns) columns with group_size \(groupSize)")
        }
        // Views into the mapping when aligned (the usual case); an aligned copy otherwise.
        let packedPointer: UnsafePointer<UInt32>, scalePointer: UnsafePointer<UInt16>
        var owner: AnyObject? = packed.owner
        if let p = packed.bytes.baseAddress, Int(bitPattern: p) % 4 == 0,
           let s = scale.bytes.baseAddress, Int(bitPattern: s) % 2 == 0 {
            packedPointer = p.assumingMemoryBound(to: UInt32.self)
            scalePointer = s.assumingMemoryBound(to: UInt16.self)
        } else {
            let copy = AlignedInt4Copy(packed: packed.bytes, scales: scale.bytes)
            packedPointer = UnsafePointer(copy.packed)
            scalePointer = UnsafePointer(copy.scales)
            owner = copy
        }
        return PackedInt4Matrix(rows: rows, columns: columns, groupSize: groupSize,
                                packed: packedPointer, scales: scalePointer, owner: owner)
    }
}

/// Owned, aligned copies of an INT4 module's buffers, for shards whose offsets are misaligned.
final class AlignedInt4Copy {
    let packed: UnsafeMutablePointer<UInt32>
    let scales: UnsafeMutablePointer<UInt16>
    init(packed source: UnsafeRawBufferPointer, scales scaleSource: UnsafeRawBufferPointer) {
        packed = .allocate(capacity: max(source.count / 4, 1))
        scales = .allocate(capacity: max(scaleSource.count / 2, 1))
        if let b = source.baseAddress { UnsafeMutableRawPointer(packed).copyMemory(from: b, byteCount: source.count) }
        if let b = scaleSource.baseAddress { UnsafeMutableRawPointer(scales).copyMemory(from: b, byteCount: scaleSource.count) }
    }
    deinit { packed.deallocate(); scales.deallocate() }
}

extension TensorView {
    /// F32 data as a tensor (scales), via an aligned copy.
    func floatsAsTensor() throws -> Tensor { try floats() }
}
