import Foundation
import Testing
import TestSupport
import Autograd
import Storage
@testable import LoRA

/// Every refused merge names what is wrong and leaves no output folder (not even a partial one).
@Suite struct MergeBadInputTests {
    /// Runs the merge expecting an error; checks only base/adapter (and `keep`) remain in the root.
    func failure(_ s: MergeScenario, _ options: MergeOptions, keep: [String] = []) -> (any Error)? {
        do {
            _ = try CheckpointMerge.run(options)
            Issue.record("merge succeeded")
            return nil
        } catch {
            let left = s.entries()
            #expect(left == (["adapter", "base"] + keep).sorted(), "left behind: \(left)")
            return error
        }
    }

    @Test func adapterForAnotherBaseIsRefused() throws {
        let s = try MergeScenario(deltaScale: 0)
        defer { s.remove() }
        // An adapter made for a model with twice the hidden size: every shape is wrong.
        var other = s.config
        other.hiddenSize *= 2
        let foreign = try LoRAAdapterSet.create(for: other, config: LoRAConfig(rank: 4, targets: .names(["q_a_proj"])))
        let dir = s.root.file("foreign")
        try PEFTAdapterFile.save(foreign, model: other, to: dir, baseModelNameOrPath: nil)
        var options = s.options("out")
        options.adapter = dir
        let error = failure(s, options, keep: ["foreign"])
        guard case .shapeMismatch(_, let tensor, _, _)? = error as? LoRAError else { Issue.record("got \(String(describing: error))"); return }
        #expect(tensor.contains("q_a_proj"))
        #expect("\(error!)".contains("q_a_proj"))
    }

    @Test func adapterWithAModuleTheBaseLacksIsRefused() throws {
        let s = try MergeScenario(deltaScale: 0)
        defer { s.remove() }
        var deeper = s.config
        deeper.numHiddenLayers += 2
        let foreign = try LoRAAdapterSet.create(for: deeper, config: LoRAConfig(rank: 4, targets: .names(["o_proj"]), layers: 4...4))
        let dir = s.root.file("foreign")
        try PEFTAdapterFile.save(foreign, model: deeper, to: dir, baseModelNameOrPath: nil)
        var options = s.options("out")
        options.adapter = dir
        let error = failure(s, options, keep: ["foreign"])
        guard case .unknownModule(_, let module)? = error as? LoRAError else { Issue.record("got \(String(describing: error))"); return }
        #expect(module.hasSuffix("layers.4.self_attn.o_proj"))
    }

    @Test func missingShardIsRefused() throws {
        let s = try MergeScenario(deltaScale: 0)
        defer { s.remove() }
        let shard = s.model.appendingPathComponent(ShardedCheckpointWriter.shardFileName(1, of: 2))
        try FileManager.default.removeItem(at: shard)
        let error = failure(s, s.options("out"))
        guard case .missingShard(let file, _, _)? = error as? CheckpointError else { Issue.record("got \(String(describing: error))"); return }
        #expect(file.hasSuffix(shard.lastPathComponent))
    }

    @Test func existingOutputIsRefusedAndKept() throws {
        let s = try MergeScenario(deltaScale: 0)
        defer { s.remove() }
        let out = s.root.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: out.appendingPathComponent("notes.txt"))
        let error = failure(s, s.options("out"), keep: ["out"])
        #expect(error as? MergeError == .outputExists(path: out.standardizedFileURL.path))
        #expect(try String(contentsOf: out.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep me")
        // --overwrite replaces it with a complete checkpoint.
        var options = s.options("out")
        options.overwrite = true
        _ = try CheckpointMerge.run(options)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("notes.txt").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("config.json").path))
        #expect(s.entries() == ["adapter", "base", "out"])
    }

    @Test func emptyOutputFolderIsUsed() throws {
        let s = try MergeScenario(deltaScale: 0)
        defer { s.remove() }
        try FileManager.default.createDirectory(at: s.root.file("out"), withIntermediateDirectories: true)
        _ = try CheckpointMerge.run(s.options("out"))
        _ = try CheckpointReader(directory: s.root.file("out"))
    }

    @Test func badShardSizeAndFormatAreRefused() throws {
        let s = try MergeScenario(deltaScale: 0)
        defer { s.remove() }
        #expect(failure(s, s.options("out", shardBytes: 0)) as? MergeError == .invalidShardSize("0"))
        // --format int4 on a base without INT4 modules (the BF16 merge of the base).
        _ = try CheckpointMerge.run(s.options("bf16", format: .bf16))
        var options = s.options("out", format: .int4)
        options.model = s.root.file("bf16")
        let error = failure(s, options, keep: ["bf16"])
        guard case .noQuantizedModules? = error as? MergeError else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test func outputEqualToModelIsRefused() throws {
        let s = try MergeScenario(deltaScale: 0)
        defer { s.remove() }
        var options = s.options("out")
        options.output = s.model
        #expect(failure(s, options) as? MergeError == .outputIsModel(path: s.model.standardizedFileURL.path))
    }

    @Test func truncatedAdapterIsRefused() throws {
        let s = try MergeScenario(deltaScale: 0)
        defer { s.remove() }
        let weights = s.adapterDirectory.appendingPathComponent(PEFTAdapterFile.weightsName)
        let bytes = try Data(contentsOf: weights)
        try bytes.prefix(bytes.count / 2).write(to: weights)
        let error = failure(s, s.options("out"))
        #expect(error is CheckpointError, "got \(String(describing: error))")
        #expect("\(error!)".contains(PEFTAdapterFile.weightsName))
    }
}
