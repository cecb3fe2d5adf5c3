import Autograd
import Foundation
import Storage

/// `kimi-sft merge`: base checkpoint + PEFT adapter -> a complete serving checkpoint (config,
/// tokenizer and other non-weight files, shards, index), streamed one tensor at a time: copied
/// tensors go from the memory-mapped base straight to the output file, and a merged projection or
/// expert is the only thing materialised in Float32. Everything lands in OUT.partial-<pid> first
/// and is renamed to OUT when complete.
public enum CheckpointMerge {
    public static func run(_ options: MergeOptions, log: @escaping (String) -> Void = { _ in }) throws -> MergeSummary {
        let modelDirectory = options.model.standardizedFileURL
        if modelDirectory.path == options.output.standardizedFileURL.path {
            throw MergeError.outputIsModel(path: modelDirectory.path)
        }
        guard options.maximumShardBytes > 0 else { throw MergeError.invalidShardSize("\(options.maximumShardBytes)") }
        try StagedOutputDirectory.checkAvailable(options.output, overwrite: options.overwrite)
        // Everything the inputs can get wrong is checked before the output folder exists.
        let configFile = try KimiConfigFile.load(directory: modelDirectory)
        let config = configFile.config
        let reader = try CheckpointReader(directory: modelDirectory, expectedGroupSize: config.quantization?.groupSize)
        var projections: [String: (inFeatures: Int, outFeatures: Int)] = [:]
        for spec in ProjectionInventory.projections(of: config) { projections[spec.path] = (spec.inFeatures, spec.outFeatures) }
        let adapters = try PEFTAdapterFile.load(from: options.adapter, projections: projections)
        adapters.setTraining(false)
        for path in adapters.paths where !reader.contains(path + ".weight") && !reader.contains(path + ".weight_packed") {
            throw MergeError.adaptedModuleMissing(module: path, model: modelDirectory.path)
        }
        let hasInt4 = reader.tensorNames.contains { $0.hasSuffix(".weight_packed") }
        let format = options.format ?? (hasInt4 ? .int4 : .bf16)
        if format == .int4 && !hasInt4 { throw MergeError.noQuantizedModules(model: modelDirectory.path) }
        let plan = try MergePlan(reader: reader, adapters: adapters, format: format)

        var convention: ScaleConventionDetection?
        let adaptedInt4 = adapters.paths.filter { plan.int4Modules.contains($0) }
        if format == .int4 && !adaptedInt4.isEmpty {
            let candidates = reader.tensorNames.filter { $0.hasSuffix(".weight_packed") }.map { String($0.dropLast(".weight_packed".count)) }
            convention = try ScaleConventionDetection.detect(store: reader, modules: candidates)
            if let c = convention { log("INT4 re-quantization: \(c)") }
        }

        let output = try StagedOutputDirectory(destination: options.output, overwrite: options.overwrite)
        let writer = MergeWriter(reader: reader, adapters: adapters, convention: convention?.convention ?? .absmax7, log: log)
        let shards = ShardedCheckpointWriter(directory: output.staging, sharding: .maximumShardBytes(options.maximumShardBytes))
            .plan(plan.items.map(\.spec))
        let sources = Dictionary(plan.items.map { ($0.spec.name, $0.source) }, uniquingKeysWith: { a, _ in a })
        var weightMap: [(String, JSONValue)] = []
        var shardFiles: [String] = []
        var dataBytes = 0
        for (i, shard) in shards.enumerated() {
            let name = ShardedCheckpointWriter.shardFileName(i, of: shards.count)
            let file = try SafetensorsWriter(destination: output.staging.appendingPathComponent(name), tensors: MergePlan.writeOrder(shard))
            for spec in file.specs { try writer.write(spec, source: sources[spec.name]!, into: file) }
            try file.finish()
            dataBytes += file.totalDataBytes
            shardFiles.append(name)
            weightMap += shard.map { ($0.name, .string(name)) }
            log("wrote \(name) (\(shard.count) tensors, \(file.totalDataBytes) bytes)")
        }
        if shards.count > 1 {
            weightMap.sort { $0.0 < $1.0 }
            let index = JSONValue.object(JSONObject([
                ("metadata", .object(JSONObject([("total_size", .int(dataBytes))]))),
                ("weight_map", .object(JSONObject(weightMap))),
            ]))
            try AtomicFile.write(JSONSerializer(indent: 2).serialize(index) + "\n",
                                 to: output.staging.appendingPathComponent(CheckpointReader.indexFileName))
        }
        if format == .bf16 && config.quantization != nil {
            var updated = configFile
            updated.config.quantization = nil
            try updated.write(to: output.staging)
        } else {
            try copyFile(modelDirectory.appendingPathComponent("config.json"), to: output.staging.appendingPathComponent("config.json"))
        }
        let copied = try copyNonWeightFiles(from: modelDirectory, to: output.staging)
        try output.commit()
        return MergeSummary(format: format, convention: convention, modules: writer.survival, shardFiles: shardFiles,
                            tensorCount: plan.items.count, dataBytes: dataBytes, copiedFiles: copied)
    }

    /// Copies everything in the model folder that is not weights or config.json (tokenizer files,
    /// chat template, generation config, code, docs), files atomically, folders recursively.
    static func copyNonWeightFiles(from model: URL, to destination: URL) throws -> [String] {
        let fm = FileManager.default
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: model.path).sorted() } catch {
            throw CheckpointError.io(file: model.path, reason: "cannot list the model folder: \(error.localizedDescription)")
        }
        var copied: [String] = []
        for name in names where !name.hasPrefix(".") && name != "config.json" && name != CheckpointReader.indexFileName
            && !name.hasSuffix(".safetensors") && !name.contains(".partial-") {
            let source = model.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: source.path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                do { try fm.copyItem(at: source, to: destination.appendingPathComponent(name)) } catch {
                    throw CheckpointError.io(file: source.path, reason: "cannot copy: \(error.localizedDescription)")
                }
            } else {
                try copyFile(source, to: destination.appendingPathComponent(name))
            }
            copied.append(name)
        }
        return copied
    }

    /// Streams a file into place through `AtomicFileWriter` in 8 MiB pieces.
    static func copyFile(_ source: URL, to destination: URL) throws {
        guard let input = FileHandle(forReadingAtPath: source.path) else {
            throw CheckpointError.io(file: source.path, reason: "cannot open for reading")
        }
        defer { try? input.close() }
        let out = try AtomicFileWriter(destination: destination)
        while true {
            let chunk: Data
            do { chunk = try input.read(upToCount: 8 << 20) ?? Data() } catch {
                throw CheckpointError.io(file: source.path, reason: "read failed: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            try chunk.withUnsafeBytes { try out.write($0) }
        }
        try out.commit()
    }
}
