import Foundation
import Storage
import TestSupport
import Testing
@testable import Trainer

@Suite("Training run")
struct TrainingRunTests {
    @Test("a short run lowers the loss and writes adapter, checkpoints, metrics and plot")
    func shortRunLowersLossAndWritesOutputs() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        let recipe = try fixture.recipe(["plot_loss=true", "save_total_limit=2"])
        let summary = try TrainingRun(recipe: recipe, options: TrainingFixture.quietOptions()).run()
        #expect(summary.outcome == .finished)
        #expect(summary.globalStep == 8)
        let first = try #require(summary.losses.first?.loss), last = try #require(summary.losses.last?.loss)
        #expect(last < first - 0.2, "loss \(first) -> \(last)")
        let output = recipe.outputDirectory
        for name in ["adapter_config.json", "adapter_model.safetensors", "trainer_state.json", "metrics.jsonl",
                     "trainer_log.jsonl", "training_loss.svg", "run_settings.json"] {
            #expect(FileManager.default.fileExists(atPath: output + "/" + name), "missing \(name)")
        }
        // save_steps 3 over 8 updates: 3, 6 and the final 8; save_total_limit 2 keeps 6 and 8.
        let kept = CheckpointDirectory(outputDirectory: URL(fileURLWithPath: output)).checkpoints().map(\.step)
        #expect(kept == [6, 8])
        let losses = try TrainingFixture.loggedLosses(output)
        #expect(losses.keys.sorted() == Array(1...8))
        let evals = try TrainingFixture.loggedEvalLosses(output)
        #expect(evals.keys.sorted() == [4, 8])
        let svg = try String(contentsOfFile: output + "/training_loss.svg", encoding: .utf8)
        #expect(svg.contains("<polyline") && svg.contains("eval loss"))
    }

    @Test("accumulating two micro-batches of one row equals one micro-batch of two rows")
    func accumulationMatchesLargerBatch() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        let accumulated = try TrainingRun(recipe: fixture.recipe(output: "a", ["per_device_train_batch_size=1", "gradient_accumulation_steps=2", "max_steps=3"]),
                                          options: TrainingFixture.quietOptions()).run()
        let batched = try TrainingRun(recipe: fixture.recipe(output: "b", ["per_device_train_batch_size=2", "gradient_accumulation_steps=1", "max_steps=3"]),
                                      options: TrainingFixture.quietOptions()).run()
        // Same rows per update in the same order (the epoch order does not depend on batch size).
        let a = accumulated.losses.map(\.loss), b = batched.losses.map(\.loss)
        let check = closeness(a, b, absolute: 1e-4, relative: 1e-4)
        #expect(check.passes, "\(check)")
    }

    @Test("--dry-run's plan counts sequences, updates and warmup as transformers does")
    func planCounts() throws {
        let fixture = try TrainingFixture(rows: 23)
        defer { fixture.directory.remove() }
        let recipe = try fixture.recipe(["max_steps=-1", "num_train_epochs=2.5", "warmup_ratio=0.1", "warmup_steps=0"])
        let prepared = try TrainingRun(recipe: recipe, options: TrainingFixture.quietOptions()).prepare()
        // 23 rows - 4 held out = 19; batch 2 -> 10 micro-batches; accumulation 2 -> 5 updates/epoch; 2.5 epochs -> 13.
        #expect(prepared.plan.trainRows == 19 && prepared.plan.evalRows == 4)
        #expect(prepared.plan.microBatchesPerEpoch == 10)
        #expect(prepared.plan.stepCount.updatesPerEpoch == 5 && prepared.plan.stepCount.totalSteps == 13)
        #expect(prepared.plan.warmupSteps == 2)
        #expect(prepared.plan.memory.adapterBytes == prepared.model.audit.totalParameters * 8)
        #expect(!FileManager.default.fileExists(atPath: recipe.outputDirectory + "/metrics.jsonl"), "a dry run trains nothing")
    }

    @Test("a fresh run refuses an output_dir with checkpoints unless overwrite_output_dir")
    func refusesOutputWithCheckpoints() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        _ = try TrainingRun(recipe: fixture.recipe(["max_steps=3"]), options: TrainingFixture.quietOptions()).run()
        #expect {
            try TrainingRun(recipe: fixture.recipe(["max_steps=3"]), options: TrainingFixture.quietOptions()).run()
        } throws: { error in
            guard case TrainingError.outputDirectoryNotEmpty(_, let names)? = error as? TrainingError else { return false }
            return names == ["checkpoint-3"] && "\(error)".contains("overwrite_output_dir")
        }
        let again = try TrainingRun(recipe: fixture.recipe(["max_steps=3", "overwrite_output_dir=true"]), options: TrainingFixture.quietOptions()).run()
        #expect(again.globalStep == 3)
    }

    @Test("bad model folders and bad data records are errors naming the path or line")
    func badInputs() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        let missing = fixture.directory.file("no-such-model").path
        #expect {
            try TrainingRun(recipe: fixture.recipe(["model_name_or_path=\(missing)"]), options: TrainingFixture.quietOptions()).prepare()
        } throws: { error in
            guard case TrainingError.model? = error as? TrainingError else { return false }
            return "\(error)".contains(missing)
        }
        let bad = fixture.directory.file("bad.jsonl")
        try Data("{\"input_ids\": [1, 2, 3]}\n{\"input_ids\": [1, \"x\"]}\n".utf8).write(to: bad)
        #expect {
            try TrainingRun(recipe: fixture.recipe(["dataset=\(bad.path)", "on_bad_record=error", "val_size=0"]),
                            options: TrainingFixture.quietOptions()).prepare()
        } throws: { error in
            guard case TrainingError.data? = error as? TrainingError else { return false }
            return "\(error)".contains("bad.jsonl:2")
        }
        #expect {
            try TrainingRun(recipe: fixture.recipe(["lora_layers=[0, 2]"]), options: TrainingFixture.quietOptions()).prepare()
        } throws: { error in
            guard case TrainingError.unsupported(let key, _)? = error as? TrainingError else { return false }
            return key == "lora_layers"
        }
    }
}

@Suite("Training run: continuing an adapter")
struct TrainingContinuationTests {
    @Test("adapter_name_or_path starts from a trained adapter: its first loss is below a fresh start's")
    func continuesFromAdapter() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        let first = try TrainingRun(recipe: fixture.recipe(output: "first", ["max_steps=8"]), options: TrainingFixture.quietOptions()).run()
        let trained = fixture.directory.file("first").path
        let continued = try TrainingRun(recipe: fixture.recipe(output: "second", ["max_steps=1", "adapter_name_or_path=\(trained)"]),
                                        options: TrainingFixture.quietOptions()).run()
        let freshStart = try #require(first.losses.first?.loss), continuedStart = try #require(continued.losses.first?.loss)
        #expect(continuedStart < freshStart - 0.1, "fresh \(freshStart), continued \(continuedStart)")
    }

    @Test("lora_merge_aware puts every routed-expert adapter behind the INT4 merge quantizer and still trains")
    func mergeAwareTraining() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        let run = TrainingRun(recipe: try fixture.recipe(output: "aware", ["lora_merge_aware=true", "max_steps=6"]),
                              options: TrainingFixture.quietOptions())
        let prepared = try run.prepare()
        let adapters = prepared.model.adapters
        let expertPaths = adapters.paths.filter { $0.contains(".mlp.experts.") }
        #expect(!expertPaths.isEmpty)
        #expect(expertPaths.allSatisfy { adapters[$0]!.deltaTransform != nil })
        #expect(adapters.paths.filter { !$0.contains(".mlp.experts.") }.allSatisfy { adapters[$0]!.deltaTransform == nil })
        #expect(prepared.model.mergeAwareNote?.contains("train through the merge's quantizer") == true)
        let summary = try run.run()
        #expect(summary.losses.count == 6 && summary.losses.allSatisfy { $0.loss.isFinite })
    }
}
