import Foundation
import Testing
import TestSupport
import Autograd
import Storage
@testable import LoRA

@Suite struct PEFTAdapterFileTests {
    func projections(_ config: KimiConfig) -> [String: (inFeatures: Int, outFeatures: Int)] {
        var map: [String: (inFeatures: Int, outFeatures: Int)] = [:]
        for s in ProjectionInventory.projections(of: config) { map[s.path] = (s.inFeatures, s.outFeatures) }
        return map
    }

    @Test func saveAndLoadRoundTripExactly() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let set = try LoRAAdapterSet.create(for: tinyConfig, config: LoRAConfig(rank: 4, alpha: 8, targets: .all))
        var rng = SplitMix64(seed: 3)
        for p in set.paths { for i in 0..<set[p]!.b.count { set[p]!.b.data[i] = Float(rng.nextGaussian()) } }
        try PEFTAdapterFile.save(set, model: tinyConfig, to: dir.url, baseModelNameOrPath: "models/tiny")
        let back = try PEFTAdapterFile.load(from: dir.url, projections: projections(tinyConfig))
        // Loading to evaluate or merge allocates no gradient buffers (half the memory at K2.5 scale).
        #expect(back.paths.allSatisfy { !back[$0]!.hasGradientBuffers })
        #expect(back.paths == set.paths)
        for p in set.paths {
            #expect(back[p]!.a.array == set[p]!.a.array)
            #expect(back[p]!.b.array == set[p]!.b.array)
            #expect(back[p]!.scaling == set[p]!.scaling)
        }
    }

    @Test func loadsAnAdapterWrittenByPEFT() throws {
        let dir = try #require(Bundle.module.url(forResource: "peft-written", withExtension: nil, subdirectory: "Fixtures"))
        struct Expected: Decodable {
            struct Module: Decodable { let `in`: Int; let out: Int; let delta: [Double] }
            let x64: [Float]; let x32: [Float]; let modules: [String: Module]
        }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let shapes = expected.modules.mapValues { (inFeatures: $0.in, outFeatures: $0.out) }
        let set = try PEFTAdapterFile.load(from: dir, projections: shapes)
        #expect(set.count == expected.modules.count)
        for (path, module) in expected.modules {
            let adapter = try #require(set[path])
            if path.hasSuffix("q_a_proj") { #expect(adapter.rank == 2 && adapter.scaling == 3) }  // rank/alpha_pattern
            else { #expect(adapter.rank == 4 && adapter.scaling == 2) }
            let x = module.in == 64 ? expected.x64 : expected.x32
            var y = [Float](repeating: 0, count: 3 * module.out)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                adapter.forward(xp.baseAddress!, rows: 3, into: yp.baseAddress!)
            } }
            let c = closeness(y, module.delta, absolute: 1e-5, relative: 1e-4)
            #expect(c.passes, "\(path): \(c)")
        }
    }

    /// Writes a valid adapter, lets `corrupt` damage it, and returns the load error.
    func loadError(_ corrupt: (URL) throws -> Void, projections override: [String: (inFeatures: Int, outFeatures: Int)]? = nil) throws -> LoRAError? {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let set = try LoRAAdapterSet.create(for: tinyConfig, config: LoRAConfig(rank: 4, targets: .parse("attention")))
        try PEFTAdapterFile.save(set, model: tinyConfig, to: dir.url, baseModelNameOrPath: nil)
        try corrupt(dir.url)
        do {
            _ = try PEFTAdapterFile.load(from: dir.url, projections: override ?? projections(tinyConfig))
            return nil
        } catch let e as LoRAError { return e }
    }

    @Test func refusesAnAdapterForAnotherBase() throws {
        // A base with a smaller hidden size: q_a_proj's A no longer fits.
        var other = tinyConfig
        other.hiddenSize = 32
        let e1 = try loadError({ _ in }, projections: projections(other))
        guard case .shapeMismatch(_, let tensor, let expected, let found)? = e1 else { Issue.record("got \(String(describing: e1))"); return }
        #expect(tensor.hasSuffix("lora_A.weight") && expected == [4, 32] && found == [4, 64])
        // A base without layer 2: the module is unknown.
        var shallow = tinyConfig
        shallow.numHiddenLayers = 2
        let e2 = try loadError({ _ in }, projections: projections(shallow))
        guard case .unknownModule(_, let module)? = e2 else { Issue.record("got \(String(describing: e2))"); return }
        #expect(module.hasPrefix("model.layers.2."))
    }

    @Test func refusesARankThatDiffersWithoutARankPattern() throws {
        let e = try loadError { dir in
            let url = dir.appendingPathComponent("adapter_config.json")
            let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"r\": 4", with: "\"r\": 8")
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        guard case .rankMismatch(_, _, let expected, let found)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(expected == 8 && found == 4)
    }

    @Test func refusesMissingFilesAndBrokenWeights() throws {
        let e1 = try loadError { try FileManager.default.removeItem(at: $0.appendingPathComponent("adapter_config.json")) }
        #expect(e1?.description.contains("adapter_config.json: invalid adapter config: missing") == true)
        // A truncated weights file is a checkpoint error naming the file.
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let set = try LoRAAdapterSet.create(for: tinyConfig, config: LoRAConfig(rank: 2, targets: .parse("o_proj")))
        try PEFTAdapterFile.save(set, model: tinyConfig, to: dir.url, baseModelNameOrPath: nil)
        let weights = dir.file("adapter_model.safetensors")
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count - 10).write(to: weights)
        #expect(throws: CheckpointError.self) { _ = try PEFTAdapterFile.load(from: dir.url, projections: projections(tinyConfig)) }
    }
}

@Suite struct AdapterAuditTests {
    /// An adapter whose config targets the experts (a regex in adapter_config.json) but whose file
    /// lacks one expert's tensors: the audit of the config against the file names the missing module.
    @Test func auditOfASavedAdapterFindsAMissingExpert() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let lora = LoRAConfig(rank: 2, targets: .parse("experts"))
        let full = try LoRAAdapterSet.create(for: tinyConfig, config: lora)
        let partial = LoRAAdapterSet(config: lora)
        let dropped = "model.layers.1.mlp.experts.2.down_proj"
        for p in full.paths where p != dropped { partial.insert(full[p]!, at: p) }
        try PEFTAdapterFile.save(partial, model: tinyConfig, to: dir.url, baseModelNameOrPath: nil)

        let peft = try PEFTAdapterFile.readConfig(from: dir.url)
        guard case .pattern = peft.targets else { Issue.record("expected a regex target, got \(peft.targets)"); return }
        var shapes: [String: (inFeatures: Int, outFeatures: Int)] = [:]
        for s in ProjectionInventory.projections(of: tinyConfig) { shapes[s.path] = (s.inFeatures, s.outFeatures) }
        let loaded = try PEFTAdapterFile.load(from: dir.url, projections: shapes)
        var adapted: [String: (rank: Int, parameters: Int)] = [:]
        for p in loaded.paths { adapted[p] = (2, loaded[p]!.parameterCount) }
        let audit = try CoverageAudit(config: tinyConfig, lora: LoRAConfig(rank: 2, targets: peft.targets, layers: peft.layerRange), adapted: adapted)
        #expect(audit.missing == [dropped])
        #expect(audit.unexpected.isEmpty)
        #expect(throws: LoRAError.self) { try audit.requireComplete() }
    }

    @Test func patternTargetsMatchWholePathsAndReportWhenNothingMatches() {
        let t = LoRATargets.pattern(".*\\.self_attn\\.o_proj")
        #expect(t.matches("model.layers.0.self_attn.o_proj"))
        #expect(!t.matches("model.layers.0.self_attn.o_proj.extra"))
        #expect(LoRATargets.pattern("nothing").unmatchedEntries(in: ["model.layers.0.self_attn.o_proj"]) == ["nothing"])
    }
}
