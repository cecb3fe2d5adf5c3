import Foundation
import Autograd
import KimiModel
import Storage
import TestSupport
@testable import LoRA

/// A tiny INT4 base written by `kimi-sft init`'s generator, with fake tokenizer files, and an
/// adapter for it saved as PEFT files: what every merge test starts from.
struct MergeScenario {
    let root: TemporaryDirectory
    let model: URL
    let adapterDirectory: URL
    let config: KimiConfig
    let adapters: LoRAAdapterSet

    static let extraFiles: [(name: String, contents: [UInt8])] = [
        ("tiktoken.model", Array("AA== 0\nAQ== 1\n".utf8)),
        ("tokenizer_config.json", Array("{\"model_max_length\": 4096}\n".utf8)),
        ("chat_template.jinja", Array("{{ messages }}".utf8)),
    ]

    /// `deltaScale` 0 keeps B = 0 (the adapter is a no-op); otherwise B ~ U(-deltaScale, deltaScale).
    init(nested: Bool = false, targets: LoRATargets = .all, layers: ClosedRange<Int>? = nil,
         deltaScale: Double = 0.05, seed: UInt64 = 7) throws {
        root = try TemporaryDirectory("kimi-sft-merge")
        model = root.file("base")
        adapterDirectory = root.file("adapter")
        let summary = try CheckpointGenerator.generate(
            CheckpointGenerator.Options(preset: .tiny, nested: nested, seed: seed, extraFiles: Self.extraFiles), into: model)
        config = summary.config
        adapters = try LoRAAdapterSet.create(for: config, config: LoRAConfig(rank: 4, alpha: 8, targets: targets, layers: layers, seed: seed))
        if deltaScale > 0 {
            var rng = SplitMix64(seed: seed &+ 1)
            for path in adapters.paths {
                let b = adapters[path]!.b
                for i in 0..<b.count { b.data[i] = Float((rng.nextUnit() * 2 - 1) * deltaScale) }
            }
        }
        try PEFTAdapterFile.save(adapters, model: config, to: adapterDirectory, baseModelNameOrPath: model.path)
    }

    func options(_ name: String, format: MergeFormat? = nil, shardBytes: Int = MergeOptions.defaultMaximumShardBytes) -> MergeOptions {
        MergeOptions(model: model, adapter: adapterDirectory, output: root.file(name), format: format, maximumShardBytes: shardBytes)
    }

    func remove() { root.remove() }

    /// Every entry of a folder (for "nothing was left behind" checks).
    func entries() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted() }

    /// A few sequences of token ids over the tiny vocabulary (deterministic).
    static func evaluationData(vocabulary: Int, sequences: Int = 3, length: Int = 12) -> PreTokenizedData {
        var rng = SplitMix64(seed: 99)
        return PreTokenizedData(sequences: (0..<sequences).map { s in
            PreTokenizedData.Sequence(inputIds: (0..<length).map { _ in Int32(rng.nextUnit() * Double(vocabulary - 1)) },
                                      labels: nil, line: s + 1)
        })
    }

    /// Plugs `set`'s adapters into the model's projections.
    static func attach(_ set: LoRAAdapterSet, to model: KimiModel) {
        for path in set.paths {
            set[path]!.isTraining = false
            model.projection(at: path)!.adapter = set[path]!
        }
    }
}

/// Raw bytes of a tensor of a checkpoint (for byte-identity checks).
func tensorBytes(_ reader: CheckpointReader, _ name: String) throws -> [UInt8] {
    Array(try reader.view(name).bytes)
}
