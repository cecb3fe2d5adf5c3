import Foundation
import TestSupport
import Testing
@testable import Trainer

@Suite("SFT bench")
struct BenchTests {
    @Test("each timed step covers accumulation x seq-len tokens, half of them supervised")
    func countsTokensPerStep() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        var settings = SFTBenchmark.Settings(modelPath: fixture.modelPath)
        settings.sequenceLength = 16
        settings.accumulation = 3
        settings.steps = 2
        settings.rank = 2
        var reported: [String] = []
        let result = try SFTBenchmark.run(settings) { reported.append($0) }
        #expect(result.steps.count == 2 && reported.count == 2)
        for step in result.steps {
            #expect(step.tokens == 48)
            #expect(step.supervisedTokens == 24)
            #expect(step.seconds > 0 && step.loss.isFinite)
        }
        #expect(result.tokensPerSecond == 2 * result.supervisedTokensPerSecond)
        #expect(result.lines.last?.contains("tokens/s processed") == true)
    }

    @Test("a sequence longer than the model's positions is refused")
    func refusesLongSequences() throws {
        let fixture = try TrainingFixture()
        defer { fixture.directory.remove() }
        var settings = SFTBenchmark.Settings(modelPath: fixture.modelPath)
        settings.sequenceLength = 100_000
        #expect {
            try SFTBenchmark.run(settings)
        } throws: { error in
            "\(error)".contains("max_position_embeddings")
        }
    }
}
