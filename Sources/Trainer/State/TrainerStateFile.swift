import Foundation
import Storage

/// `trainer_state.h5`: the resume state in HDF5 (one dataset per field, optimizer buffers under
/// `optimizer/`), and `trainer_state.json`: LLaMA-Factory/transformers' readable summary
/// (global_step, epoch, log_history). The HDF5 file is the source of truth for resuming; the
/// JSON is read back only for its log history.
public enum TrainerStateFile {
    public static let stateFileName = "trainer_state.h5"
    public static let summaryFileName = "trainer_state.json"
    static let format = "kimi-sft trainer state"
    static let version: Int64 = 1

    public static func write(_ state: TrainerState, recipe: Recipe, to directory: URL) throws {
        let path = directory.appendingPathComponent(stateFileName).path
        do {
            let file = try HDF5File.create(path)
            defer { file.close() }
            try file.setAttribute("format", string: format)
            try file.setAttribute("version", integer: version)
            func scalar(_ value: Int, _ name: String) throws { try file.write([Int64(value)], to: name) }
            try scalar(state.globalStep, "step")
            try scalar(state.totalSteps, "scheduler/total_steps")
            try scalar(state.globalStep, "scheduler/last_step")
            try file.write([state.epoch], to: "epoch")
            try scalar(state.epochIndex, "data/epoch_index")
            try scalar(state.batchCursor, "data/batch_cursor")
            try file.write(state.epochOrder.map { Int64($0) }, to: "data/order")
            try file.write([Int64(bitPattern: state.dropoutGeneratorState)], to: "rng/dropout_state")
            try scalar(state.tokensSeen, "counters/tokens")
            try scalar(state.supervisedTokensSeen, "counters/supervised_tokens")
            try file.write([state.lossSinceLog], to: "counters/loss_since_log")
            try scalar(state.updatesSinceLog, "counters/updates_since_log")
            try scalar(state.optimizer.step, "optimizer/step")
            try file.setAttribute("buffers", string: state.optimizer.buffers.map(\.name).joined(separator: "\n"), on: "optimizer")
            for (k, buffer) in state.optimizer.buffers.enumerated() {
                try file.write(buffer.values, to: "optimizer/buffer_\(k)")
            }
        } catch {
            throw TrainingError.io(path: path, reason: "cannot write trainer state: \(error)")
        }
        try writeSummary(state, recipe: recipe, to: directory)
    }

    public static func read(from directory: URL) throws -> TrainerState {
        let path = directory.appendingPathComponent(stateFileName).path
        var state = TrainerState()
        do {
            let file = try HDF5File.open(path)
            defer { file.close() }
            guard try file.stringAttribute("format") == format else {
                throw TrainingError.noCheckpoint(path: path, reason: "not a kimi-sft trainer state file")
            }
            guard let v = try file.integerAttribute("version"), v == version else {
                throw TrainingError.noCheckpoint(path: path, reason: "unsupported trainer state version")
            }
            func scalar(_ name: String) throws -> Int {
                let values = try file.read(name, as: Int64.self).values
                guard values.count == 1 else { throw TrainingError.noCheckpoint(path: path, reason: "'\(name)' must hold one value") }
                return Int(values[0])
            }
            state.globalStep = try scalar("step")
            state.totalSteps = try scalar("scheduler/total_steps")
            state.epoch = try file.read("epoch", as: Double.self).values.first ?? 0
            state.epochIndex = try scalar("data/epoch_index")
            state.batchCursor = try scalar("data/batch_cursor")
            state.epochOrder = try file.read("data/order", as: Int64.self).values.map { Int($0) }
            state.dropoutGeneratorState = UInt64(bitPattern: Int64(try scalar("rng/dropout_state")))
            state.tokensSeen = try scalar("counters/tokens")
            state.supervisedTokensSeen = try scalar("counters/supervised_tokens")
            state.lossSinceLog = try file.read("counters/loss_since_log", as: Double.self).values.first ?? 0
            state.updatesSinceLog = try scalar("counters/updates_since_log")
            let names = (try file.stringAttribute("buffers", on: "optimizer") ?? "").split(separator: "\n").map(String.init)
            var buffers: [NamedBuffer] = []
            for (k, name) in names.enumerated() {
                buffers.append(NamedBuffer(name: name, values: try file.read("optimizer/buffer_\(k)", as: Float.self).values))
            }
            state.optimizer = OptimizerState(step: try scalar("optimizer/step"), buffers: buffers)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.noCheckpoint(path: path, reason: "\(error)")
        }
        guard state.globalStep >= 0, state.batchCursor >= 0, state.epochIndex >= 0 else {
            throw TrainingError.noCheckpoint(path: path, reason: "negative step, epoch or data position")
        }
        state.logHistory = readLogHistory(from: directory)
        return state
    }

    /// transformers' trainer_state.json fields that tools read.
    static func writeSummary(_ state: TrainerState, recipe: Recipe, to directory: URL) throws {
        var json = JSONObject()
        json["global_step"] = .int(state.globalStep)
        json["max_steps"] = .int(state.totalSteps)
        json["epoch"] = .double(state.epoch)
        json["num_train_epochs"] = .double(recipe.numberOfEpochs)
        json["train_batch_size"] = .int(recipe.batchSize)
        json["gradient_accumulation_steps"] = .int(recipe.gradientAccumulationSteps)
        json["logging_steps"] = intervalJSON(recipe.loggingSteps)
        json["save_steps"] = intervalJSON(recipe.saveSteps)
        json["eval_steps"] = intervalJSON(recipe.evalSteps ?? recipe.loggingSteps)
        json["num_input_tokens_seen"] = .int(state.tokensSeen)
        json["best_model_checkpoint"] = .null
        json["is_local_process_zero"] = .bool(true)
        json["is_world_process_zero"] = .bool(true)
        json["log_history"] = .array(state.logHistory)
        let url = directory.appendingPathComponent(summaryFileName)
        do {
            try AtomicFile.write(JSONSerializer(indent: 2).serialize(.object(json)) + "\n", to: url)
        } catch {
            throw TrainingError.io(path: url.path, reason: "cannot write: \(error)")
        }
    }

    private static func intervalJSON(_ interval: StepInterval) -> JSONValue {
        switch interval {
        case .every(let n): .int(n)
        case .fraction(let f): .double(f)
        }
    }

    /// The log history of a checkpoint's trainer_state.json (empty when absent or unreadable:
    /// it is a convenience, the HDF5 state is what resuming relies on).
    static func readLogHistory(from directory: URL) -> [JSONValue] {
        let url = directory.appendingPathComponent(summaryFileName)
        guard let data = FileManager.default.contents(atPath: url.path),
              let value = try? JSONParser.parse([UInt8](data), source: url.path),
              let history = value["log_history"]?.arrayValue else { return [] }
        return history
    }
}
