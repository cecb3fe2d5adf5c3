import Foundation
import Testing
@testable import Trainer

@Suite("Training cadence")
struct TrainingCadenceTests {
    private func recipe(_ extra: String) throws -> Recipe {
        try Recipe.parse("model_name_or_path: m\ndataset: d.jsonl\n" + extra, file: "r.yaml", baseDirectory: URL(fileURLWithPath: "/x"))
    }

    private func steps(_ cadence: TrainingCadence, _ pick: (TrainingCadence.Events) -> Bool, epochLength: Int = 1_000_000) -> [Int] {
        (1...cadence.totalSteps).filter { pick(cadence.events(afterStep: $0, endsEpoch: $0 % epochLength == 0)) }
    }

    @Test func stepIntervalsAndTheLastStep() throws {
        let cadence = TrainingCadence(recipe: try recipe("logging_steps: 3\nsave_steps: 4\nval_size: 0.1\neval_steps: 5\n"), totalSteps: 10)
        #expect(steps(cadence, \.log) == [3, 6, 9, 10])
        #expect(steps(cadence, \.save) == [4, 8, 10])
        #expect(steps(cadence, \.evaluate) == [5, 10])
    }

    @Test func fractionsEpochsAndNoEval() throws {
        let fractional = TrainingCadence(recipe: try recipe("logging_steps: 0.25\nsave_steps: 0.5\n"), totalSteps: 10)
        #expect(fractional.loggingInterval == 3 && fractional.saveInterval == 5)
        #expect(steps(fractional, \.evaluate).isEmpty)
        let byEpoch = TrainingCadence(recipe: try recipe("eval_dataset: e.jsonl\n"), totalSteps: 9)
        #expect(steps(byEpoch, \.evaluate, epochLength: 3) == [3, 6, 9])
    }
}
