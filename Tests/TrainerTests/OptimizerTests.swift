import Autograd
import Storage
import TestSupport
import Testing
@testable import Trainer

/// Compares AdamW, SGD, clipping and schedules against torch / transformers trajectories written by
/// scripts/golden/make_optimizer_fixtures.py.
@Suite("Optimizers against torch")
struct OptimizerTests {
    private struct Case {
        let fixture: JSONValue
        let names: [String]
        let parameters: [TrainableParameter]
    }

    private func makeCase(_ fixture: JSONValue) throws -> Case {
        let names = (fixture["names"]?.arrayValue ?? []).compactMap(\.stringValue)
        let parameters = try names.map { name in
            let initial = try #require(fixture["initial"]?[name]).floats
            return TrainableParameter(name: name, value: Tensor(shape: [initial.count], values: initial),
                                      gradient: Tensor(shape: [initial.count]))
        }
        return Case(fixture: fixture, names: names, parameters: parameters)
    }

    private func makeOptimizer(_ c: Case) throws -> Optimizer {
        let options = try #require(c.fixture["options"])
        if c.fixture["kind"] == .string("adamw") {
            let betas = try #require(options["betas"]).doubles
            return AdamW(parameters: c.parameters, beta1: betas[0], beta2: betas[1],
                         epsilon: try #require(options["eps"]?.number),
                         weightDecay: try #require(options["weight_decay"]?.number))
        }
        return SGD(parameters: c.parameters, momentum: try #require(options["momentum"]?.number),
                   dampening: try #require(options["dampening"]?.number),
                   weightDecay: try #require(options["weight_decay"]?.number),
                   nesterov: options["nesterov"] == .bool(true))
    }

    /// Runs every step of one optimizer case, checking all parameters after each update.
    private func runTrajectory(_ c: Case, optimizer: Optimizer, from firstStep: Int, label: String) throws {
        let grads = try #require(c.fixture["grads"]?.arrayValue)
        let after = try #require(c.fixture["after"]?.arrayValue)
        let rates = try #require(c.fixture["learning_rates"]).doubles
        for k in firstStep..<grads.count {
            for (p, name) in zip(c.parameters, c.names) {
                let g = try #require(grads[k][name]).floats
                for i in 0..<g.count { p.gradient[flat: i] = g[i] }
            }
            optimizer.step(learningRate: rates[k])
            for (p, name) in zip(c.parameters, c.names) {
                let check = closeness(p.value.array, try #require(after[k][name]).floats, absolute: 1e-6, relative: 1e-5)
                #expect(check.passes, "\(label) step \(k + 1) \(name): \(check)")
            }
        }
    }

    @Test func trajectoriesMatchTorch() throws {
        let fixture = try loadFixture("optimizer_golden")
        for (index, caseFixture) in try #require(fixture["optimizers"]?.arrayValue).enumerated() {
            let c = try makeCase(caseFixture)
            let optimizer = try makeOptimizer(c)
            try runTrajectory(c, optimizer: optimizer, from: 0, label: "case \(index) \(caseFixture["kind"]!)")
            #expect(optimizer.stepCount == 6)
            // Final state buffers carry torch's state_dict names and values.
            let state = optimizer.exportState()
            let expected = try #require(caseFixture["final_state"]?.objectValue)
            #expect(Set(state.buffers.map(\.name)) == Set(expected.keys), "case \(index) state names")
            for buffer in state.buffers {
                let check = closeness(buffer.values, expected[buffer.name]?.floats ?? [], absolute: 1e-6, relative: 1e-5)
                #expect(check.passes, "case \(index) \(buffer.name): \(check)")
            }
        }
    }

    /// Export after 3 steps, import into a fresh optimizer over copies of the parameters, and the
    /// remaining steps still follow torch's trajectory (what resume relies on).
    @Test func exportedStateResumesTheSameTrajectory() throws {
        let fixture = try loadFixture("optimizer_golden")
        for (index, caseFixture) in try #require(fixture["optimizers"]?.arrayValue).enumerated() {
            let first = try makeCase(caseFixture)
            let optimizer = try makeOptimizer(first)
            let grads = try #require(caseFixture["grads"]?.arrayValue)
            let rates = try #require(caseFixture["learning_rates"]).doubles
            for k in 0..<3 {
                for (p, name) in zip(first.parameters, first.names) {
                    let g = try #require(grads[k][name]).floats
                    for i in 0..<g.count { p.gradient[flat: i] = g[i] }
                }
                optimizer.step(learningRate: rates[k])
            }
            let saved = optimizer.exportState()
            let resumedParameters = first.parameters.map {
                TrainableParameter(name: $0.name, value: $0.value.copy(), gradient: Tensor(shape: $0.gradient.shape))
            }
            let resumed = Case(fixture: caseFixture, names: first.names, parameters: resumedParameters)
            let fresh = try makeOptimizer(resumed)
            try fresh.importState(saved)
            #expect(fresh.stepCount == 3)
            try runTrajectory(resumed, optimizer: fresh, from: 3, label: "resumed case \(index)")
        }
    }

    @Test func importRejectsMismatchedState() throws {
        let parameter = TrainableParameter(name: "w", value: Tensor(shape: [4]), gradient: Tensor(shape: [4]))
        let adam = AdamW(parameters: [parameter])
        #expect(throws: OptimizerStateError.missingBuffer("w.exp_avg")) {
            try adam.importState(OptimizerState(step: 1, buffers: []))
        }
        let short = OptimizerState(step: 1, buffers: [NamedBuffer(name: "w.exp_avg", values: [0, 0]),
                                                      NamedBuffer(name: "w.exp_avg_sq", values: [0, 0, 0, 0])])
        #expect(throws: OptimizerStateError.wrongSize(buffer: "w.exp_avg", expected: 4, found: 2)) {
            try adam.importState(short)
        }
        #expect(throws: OptimizerStateError.negativeStep(-1)) {
            try SGD(parameters: [parameter], momentum: 0.9).importState(OptimizerState(step: -1, buffers: []))
        }
    }

    @Test func clippingMatchesTorch() throws {
        let fixture = try loadFixture("optimizer_golden")
        for clip in try #require(fixture["clipping"]?.arrayValue) {
            let grads = try #require(clip["grads"]?.arrayValue).map(\.floats)
            let parameters = grads.enumerated().map { k, g in
                TrainableParameter(name: "p\(k)", value: Tensor(shape: [g.count]), gradient: Tensor(shape: [g.count], values: g))
            }
            let maxNorm = try #require(clip["max_norm"]?.number)
            let norm = clipGradientNorm(parameters, maxNorm: maxNorm)
            let normCheck = closeness([norm], [try #require(clip["norm"]?.number)], absolute: 0, relative: 1e-6)
            #expect(normCheck.passes, "norm: \(normCheck)")
            let clipped = try #require(clip["clipped"]?.arrayValue).map(\.floats)
            for (p, expected) in zip(parameters, clipped) {
                let check = closeness(p.gradient.array, expected, absolute: 1e-7, relative: 1e-6)
                #expect(check.passes, "max_norm \(maxNorm) \(p.name): \(check)")
            }
        }
    }

    /// Tensors larger than one 32K block take the parallel path; the norm still equals a plain sum.
    @Test func clippingNormOverManyBlocks() {
        let count = 100_003
        let gradient = Tensor(shape: [count]) { i in Float((i % 97) - 48) * 0.01 }
        var expected = 0.0
        for i in 0..<count { let g = Double(gradient[flat: i]); expected += g * g }
        let parameter = TrainableParameter(name: "big", value: Tensor(shape: [count]), gradient: gradient)
        let norm = clipGradientNorm([parameter], maxNorm: 1)
        let check = closeness([norm], [expected.squareRoot()], absolute: 0, relative: 1e-12)
        #expect(check.passes, "norm: \(check)")
        var clippedSquares = 0.0
        for i in 0..<count { let g = Double(parameter.gradient[flat: i]); clippedSquares += g * g }
        #expect(closeness([clippedSquares.squareRoot()], [1.0], absolute: 1e-5).passes)
    }

    @Test func zeroMaxNormOnlyMeasures() {
        let parameter = TrainableParameter(name: "g", value: Tensor(shape: [2]), gradient: Tensor(shape: [2], values: [30, 40]))
        let norm = clipGradientNorm([parameter], maxNorm: 0)
        #expect(norm == 50)
        #expect(parameter.gradient.array == [30, 40])
    }

    @Test func schedulesMatchTransformers() throws {
        let fixture = try loadFixture("optimizer_golden")
        for schedule in try #require(fixture["schedules"]?.arrayValue) {
            let typeName = try #require(schedule["type"]?.stringValue)
            let kind = try #require(LearningRateScheduleKind(rawValue: typeName))
            let total = try #require(schedule["total_steps"]?.intValue)
            let warmup = LearningRateSchedule.warmupSteps(
                totalSteps: total, warmupSteps: try #require(schedule["warmup_steps"]?.number),
                warmupRatio: try #require(schedule["warmup_ratio"]?.number))
            let lr = LearningRateSchedule(kind: kind, baseLearningRate: try #require(schedule["base_lr"]?.number),
                                          totalSteps: total, warmupSteps: warmup)
            let expected = try #require(schedule["lr_by_step"]).doubles
            let actual = (0..<expected.count).map { lr.learningRate(atStep: $0) }
            let check = closeness(actual, expected, absolute: 1e-15, relative: 1e-12)
            #expect(check.passes, "\(kind.rawValue) total \(total) warmup \(warmup): \(check)")
        }
    }

    @Test(arguments: [(10, 8, 3.0, -1, 2, 6), (16, 8, 3.0, -1, 2, 6), (17, 8, 1.5, -1, 3, 5), (3, 8, 2.0, 0, 1, 2), (100, 1, 3.0, 7, 100, 7)])
    func stepCountsFollowTransformers(batches: Int, accumulation: Int, epochs: Double, maxSteps: Int, perEpoch: Int, total: Int) {
        let count = TrainingStepCount(batchesPerEpoch: batches, gradientAccumulationSteps: accumulation, epochs: epochs, maxSteps: maxSteps)
        #expect(count.updatesPerEpoch == perEpoch && count.totalSteps == total, "\(count)")
    }
}
