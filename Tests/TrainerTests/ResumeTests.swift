import Foundation
import Storage
import TestSupport
import Testing
@testable import Trainer

/// An interrupted-and-resumed run must log exactly the losses of an uninterrupted one, at every
/// step, and end with the same adapter bytes: adapter weights, AdamW moments and step, the data
/// order and position, the dropout stream and the loss not yet logged all come back.
@Suite("Resume")
struct ResumeTests {
    /// Dropout and logging every 2 steps make the dropout stream and the unlogged-loss carry matter.
    static let settings = ["lora_dropout=0.1", "max_steps=9", "save_steps=3", "logging_steps=1"]

    static func straightRun(_ fixture: TrainingFixture, _ extra: [String] = []) throws -> (losses: [Int: Double], adapter: Data, evals: [Int: Double]) {
        let recipe = try fixture.recipe(output: "straight", settings + extra)
        let summary = try TrainingRun(recipe: recipe, options: TrainingFixture.quietOptions()).run()
        #expect(summary.outcome == .finished)
        return (try TrainingFixture.loggedLosses(recipe.outputDirectory),
                try Data(contentsOf: URL(fileURLWithPath: recipe.outputDirectory + "/adapter_model.safetensors")),
                try TrainingFixture.loggedEvalLosses(recipe.outputDirectory))
    }

    @Test("stopping after a checkpoint (as SIGINT does) and resuming logs the same loss at every step")
    func stopAfterSaveThenResume() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        let straight = try Self.straightRun(fixture)

        // A stop request that arrives during update 4 (as a SIGINT would): the loop finishes
        // update 4, saves checkpoint-4 and returns.
        var options = TrainingFixture.quietOptions()
        let stop = options.stop
        options.progress = ProgressLine(isTerminal: false) { text in
            if text.hasPrefix("step 4/") { stop.request("SIGINT") }
        }
        let recipe = try fixture.recipe(output: "interrupted", Self.settings)
        let first = try TrainingRun(recipe: recipe, options: options).run()
        #expect(first.outcome == .stopped(reason: "SIGINT"))
        #expect(first.globalStep == 4)
        #expect(CheckpointDirectory(outputDirectory: URL(fileURLWithPath: recipe.outputDirectory)).latest()?.lastPathComponent == "checkpoint-4")

        let resumed = try TrainingRun(recipe: fixture.recipe(output: "interrupted", Self.settings + ["resume_from_checkpoint=true"]),
                                      options: TrainingFixture.quietOptions()).run()
        #expect(resumed.outcome == .finished)
        #expect(resumed.losses.first?.step == 5, "the resumed run starts after update 4")
        let losses = try TrainingFixture.loggedLosses(recipe.outputDirectory)
        #expect(losses == straight.losses, "resumed \(losses.sorted { $0.key < $1.key }) vs straight \(straight.losses.sorted { $0.key < $1.key })")
        #expect(try TrainingFixture.loggedEvalLosses(recipe.outputDirectory) == straight.evals)
        #expect(try Data(contentsOf: URL(fileURLWithPath: recipe.outputDirectory + "/adapter_model.safetensors")) == straight.adapter)
    }

    @Test("a kill between saves resumes from the last checkpoint and matches the uninterrupted run")
    func killBetweenSavesThenResume() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        let straight = try Self.straightRun(fixture, ["logging_steps=2"])

        // Killed after update 5: checkpoint-3 is the newest; metrics.jsonl already has lines for
        // updates 4 (and, with logging every 2, not 5), which the resumed run must replace.
        let recipe = try fixture.recipe(output: "killed", Self.settings + ["logging_steps=2"])
        let killed = try TrainingRun(recipe: recipe, options: TrainingFixture.quietOptions(abortAfterStep: 5)).run()
        #expect(killed.outcome == .aborted(afterStep: 5))
        let output = URL(fileURLWithPath: recipe.outputDirectory)
        #expect(CheckpointDirectory(outputDirectory: output).checkpoints().map(\.step) == [3])
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("adapter_model.safetensors").path))

        let checkpoint = output.appendingPathComponent("checkpoint-3").path
        let resumed = try TrainingRun(recipe: fixture.recipe(output: "killed", Self.settings + ["logging_steps=2", "resume_from_checkpoint=\(checkpoint)"]),
                                      options: TrainingFixture.quietOptions()).run()
        #expect(resumed.outcome == .finished)
        #expect(try TrainingFixture.loggedLosses(recipe.outputDirectory) == straight.losses)
        #expect(try Data(contentsOf: output.appendingPathComponent("adapter_model.safetensors")) == straight.adapter)
    }

    @Test("SIGINT to the process stops after the current update with a checkpoint, and resuming matches")
    func realSignalStopsCleanly() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        let straight = try Self.straightRun(fixture)
        var options = TrainingFixture.quietOptions()
        options.handleSignals = true
        var sent = false
        let stop = options.stop
        options.progress = ProgressLine(isTerminal: false) { text in
            guard !sent, text.hasPrefix("step 2/") else { return }
            sent = true
            kill(getpid(), SIGINT)
            // The handler runs on a dispatch queue; wait for it (up to 10 s) so the stop lands in update 2.
            let deadline = Date().addingTimeInterval(10)
            while stop.requested == nil && Date() < deadline { usleep(1000) }
        }
        let recipe = try fixture.recipe(output: "signalled", Self.settings)
        let first = try TrainingRun(recipe: recipe, options: options).run()
        guard case .stopped(let reason) = first.outcome else {
            Issue.record("expected a stop, got \(first.outcome)")
            return
        }
        #expect(reason == "SIGINT")
        let stoppedAt = first.globalStep
        #expect(stoppedAt == 2)
        #expect(CheckpointDirectory(outputDirectory: URL(fileURLWithPath: recipe.outputDirectory)).latest()?.lastPathComponent == "checkpoint-\(stoppedAt)")
        _ = try TrainingRun(recipe: fixture.recipe(output: "signalled", Self.settings + ["resume_from_checkpoint=true"]),
                            options: TrainingFixture.quietOptions()).run()
        #expect(try TrainingFixture.loggedLosses(recipe.outputDirectory) == straight.losses)
    }
}
