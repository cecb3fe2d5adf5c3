import Foundation
import Storage
import TestSupport
import Testing
@testable import Trainer

@Suite("Checkpoints")
struct CheckpointTests {
    @Test("trainer_state.h5 round-trips every field, optimizer buffers included")
    func stateRoundTrip() throws {
        let directory = try TemporaryDirectory("trainer-state")
        defer { directory.remove() }
        var state = TrainerState()
        state.globalStep = 17
        state.totalSteps = 40
        state.epoch = 2.125
        state.epochIndex = 2
        state.batchCursor = 3
        state.epochOrder = [4, 0, 2, 1, 3]
        state.dropoutGeneratorState = 0xFEDC_BA98_7654_3210
        state.tokensSeen = 12345
        state.supervisedTokensSeen = 6789
        state.lossSinceLog = 3.25
        state.updatesSinceLog = 2
        state.optimizer = OptimizerState(step: 17, buffers: [NamedBuffer(name: "a.lora_A.weight.exp_avg", values: [1, -2, 3.5]),
                                                             NamedBuffer(name: "a.lora_A.weight.exp_avg_sq", values: [0.25, 0, 9])])
        state.logHistory = [.object(JSONObject([("loss", .double(1.5)), ("step", .int(17))]))]
        let recipe = Recipe()
        try TrainerStateFile.write(state, recipe: recipe, to: directory.url)
        let read = try TrainerStateFile.read(from: directory.url)
        #expect(read == state)
        let summary = try JSONParser.parse(try String(contentsOf: directory.file("trainer_state.json"), encoding: .utf8))
        #expect(summary["global_step"]?.intValue == 17)
        #expect(summary["log_history"]?.arrayValue?.count == 1)
    }

    @Test("checkpoints are published by rename, rotated by save_total_limit, and the newest is found")
    func atomicSaveAndRotation() throws {
        let directory = try TemporaryDirectory("trainer-rotation")
        defer { directory.remove() }
        let checkpoints = CheckpointDirectory(outputDirectory: directory.url)
        for step in [2, 4, 6, 8] {
            try checkpoints.save(step: step, keep: 2) { folder in
                #expect(folder.lastPathComponent == "checkpoint-\(step).tmp")
                try Data("state".utf8).write(to: folder.appendingPathComponent(TrainerStateFile.stateFileName))
            }
        }
        #expect(checkpoints.checkpoints().map(\.step) == [6, 8])
        #expect(checkpoints.latest()?.lastPathComponent == "checkpoint-8")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(!names.contains { $0.hasSuffix(".tmp") }, "\(names)")
        // A folder without a state file (a copy cut short) is never taken for a checkpoint.
        try FileManager.default.createDirectory(at: directory.file("checkpoint-10"), withIntermediateDirectories: true)
        #expect(checkpoints.latest()?.lastPathComponent == "checkpoint-8")
        // A failure while writing leaves only the .tmp folder, never checkpoint-N.
        struct Boom: Error {}
        #expect(throws: Boom.self) { try checkpoints.save(step: 12, keep: nil) { _ in throw Boom() } }
        #expect(!FileManager.default.fileExists(atPath: directory.file("checkpoint-12").path))
    }

    @Test("damaged or foreign trainer state files are errors naming the file")
    func malformedStateFiles() throws {
        let directory = try TemporaryDirectory("trainer-bad-state")
        defer { directory.remove() }
        try Data("not hdf5 at all".utf8).write(to: directory.file(TrainerStateFile.stateFileName))
        #expect {
            try TrainerStateFile.read(from: directory.url)
        } throws: { error in
            guard case TrainingError.noCheckpoint(let path, _)? = error as? TrainingError else { return false }
            return path.hasSuffix("trainer_state.h5")
        }
        let other = try HDF5File.create(directory.file("other.h5").path)
        try other.setAttribute("format", string: "something else")
        other.close()
        try FileManager.default.removeItem(at: directory.file(TrainerStateFile.stateFileName))
        try FileManager.default.moveItem(at: directory.file("other.h5"), to: directory.file(TrainerStateFile.stateFileName))
        #expect {
            try TrainerStateFile.read(from: directory.url)
        } throws: { error in
            "\(error)".contains("not a kimi-sft trainer state file")
        }
        // A state file missing one field names it.
        let partial = try HDF5File.create(directory.file(TrainerStateFile.stateFileName).path)
        try partial.setAttribute("format", string: TrainerStateFile.format)
        try partial.setAttribute("version", integer: TrainerStateFile.version)
        try partial.write([Int64(3)], to: "step")
        partial.close()
        #expect {
            try TrainerStateFile.read(from: directory.url)
        } throws: { error in
            "\(error)".contains("scheduler/total_steps")
        }
    }

    @Test("resume_from_checkpoint errors: nothing to resume, and a checkpoint from other data")
    func resumeErrors() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        #expect {
            try TrainingRun(recipe: fixture.recipe(["resume_from_checkpoint=true"]), options: TrainingFixture.quietOptions()).run()
        } throws: { error in
            guard case TrainingError.noCheckpoint? = error as? TrainingError else { return false }
            return "\(error)".contains("no checkpoint-N")
        }
        _ = try TrainingRun(recipe: fixture.recipe(["max_steps=3"]), options: TrainingFixture.quietOptions()).run()
        #expect {
            try TrainingRun(recipe: fixture.recipe(["max_steps=6", "val_size=6", "resume_from_checkpoint=true"]),
                            options: TrainingFixture.quietOptions()).run()
        } throws: { error in
            guard case TrainingError.checkpointMismatch? = error as? TrainingError else { return false }
            return "\(error)".contains("20 sequences") && "\(error)".contains("18")
        }
        #expect {
            try TrainingRun(recipe: fixture.recipe(["max_steps=6", "lora_rank=2", "resume_from_checkpoint=true"]),
                            options: TrainingFixture.quietOptions()).run()
        } throws: { error in
            "\(error)".contains("rank")
        }
    }
}
