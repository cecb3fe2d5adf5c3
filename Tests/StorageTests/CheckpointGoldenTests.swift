import Autograd
import Foundation
import Testing
import TestSupport
@testable import Storage

/// Compares kimi-sft's reading of an `init` checkpoint with what compressed-tensors and
/// transformers computed from the same checkpoint (scripts/golden/check_checkpoint.py).
/// The checkpoint is regenerated here from the fixture's seed (generation is deterministic).
@Suite("golden: compressed-tensors and transformers")
struct CheckpointGoldenTests {
    static func fixture() throws -> JSONValue {
        let url = try #require(Bundle.module.url(forResource: "checkpoint_golden", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONParser.parse(Array(Data(contentsOf: url)), source: url.path)
    }

    static func doubles(_ v: JSONValue?) -> [Double] {
        (v?.arrayValue ?? []).map { if case .double(let d) = $0 { return d }; return Double($0.intValue ?? 0) }
    }

    @Test("experts dequantize to compressed-tensors' fp32 values exactly, and to transformers' bf16 after rounding")
    func expertsMatchReference() throws {
        let golden = try Self.fixture()
        let seed = UInt64(try #require(golden["seed"]?.intValue))
        let nested = golden["layout"]?.stringValue == "nested"
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let path = dir.url.appendingPathComponent("ckpt")
        try CheckpointGenerator.generate(.init(preset: .tiny, nested: nested, seed: seed), into: path)
        let reader = try CheckpointReader(directory: path, expectedGroupSize: CheckpointPreset.groupSize)
        let modules = try #require(golden["modules"]?.arrayValue)
        #expect(modules.count >= 4)
        for module in modules {
            let name = try #require(module["module"]?.stringValue)
            let matrix = try #require(try reader.packedInt4(module: name))
            let shape = (module["shape"]?.arrayValue ?? []).compactMap(\.intValue)
            #expect(shape == [matrix.rows, matrix.columns], "\(name)")
            let all = matrix.dequantized().array
            let rows = (module["rows"]?.arrayValue ?? []).compactMap(\.intValue)
            for (k, r) in rows.enumerated() {
                let ours = Array(all[(r * matrix.columns)..<((r + 1) * matrix.columns)])
                let exact = Self.doubles(module["exact_f32"]?.arrayValue?[k])
                let check = closeness(ours, exact, absolute: 0, relative: 0)
                #expect(check.passes, "\(name) row \(r) vs compressed-tensors fp32: \(check)")
                let codes = Self.doubles(module["codes"]?.arrayValue?[k])
                let ourCodes = (0..<matrix.columns).map { c -> Double in
                    let word = UInt32(littleEndian: matrix.packed[r * matrix.wordsPerRow + c / 8])
                    return Double(Int((word >> UInt32(4 * (c % 8))) & 0xF) - 8)
                }
                #expect(ourCodes == codes, "\(name) row \(r) codes")
                if let reference = module["transformers_bf16"]?.arrayValue?[k] {
                    let bf16 = closeness(ours.map { BFloat16.round($0) }, Self.doubles(reference), absolute: 0, relative: 0)
                    #expect(bf16.passes, "\(name) row \(r) vs transformers bf16 (q * scale in bf16): \(bf16)")
                }
            }
        }
        let prefix = nested ? "language_model." : ""
        if let embed = golden["embed_tokens_row0_bf16"] {
            let ours = Array(try reader.floats(prefix + "model.embed_tokens.weight").array.prefix(8))
            #expect(closeness(ours, Self.doubles(embed), absolute: 0, relative: 0).passes, "embed_tokens row 0")
        }
        if let bias = golden["layer1_router_bias_first8"] {
            // transformers keeps the router bias in F32 even when loading the model in bf16.
            let ours = Array(try reader.floats(prefix + "model.layers.1.mlp.gate.e_score_correction_bias").array.prefix(8))
            let check = closeness(ours, Self.doubles(bias), absolute: 0, relative: 0)
            #expect(check.passes, "router bias: \(check)")
        }
    }

    @Test("Int4Quantizer absmax/7.5 packs compressed-tensors' reference matrix to the same words and scales")
    func quantizerMatchesCompressedTensors() throws {
        let vector = try #require(try Self.fixture()["quantizer_absmax7point5"])
        let rows = try #require(vector["rows"]?.intValue), columns = try #require(vector["columns"]?.intValue)
        let groupSize = try #require(vector["group_size"]?.intValue)
        let weights = (vector["weights_f32_bits"]?.arrayValue ?? []).map { Float(bitPattern: UInt32(truncatingIfNeeded: $0.intValue ?? 0)) }
        #expect(weights.count == rows * columns)
        let q = weights.withUnsafeBufferPointer {
            Int4Quantizer.quantize($0.baseAddress!, rows: rows, columns: columns, groupSize: groupSize, convention: .absmax7point5)
        }
        let words = (0..<(rows * columns / 8)).map { Int(UInt32(littleEndian: q.packed[$0])) }
        let scales = (0..<(rows * q.groupsPerRow)).map { Int(UInt16(littleEndian: q.scales[$0])) }
        #expect(words == (vector["packed_words"]?.arrayValue ?? []).compactMap(\.intValue))
        #expect(scales == (vector["scale_bf16_bits"]?.arrayValue ?? []).compactMap(\.intValue))
    }

    @Test("FP8 e4m3 decoding matches torch.float8_e4m3fn for all 256 codes")
    func fp8MatchesTorch() throws {
        let table = try #require(try Self.fixture()["fp8_e4m3fn_table"]?.arrayValue)
        #expect(table.count == 256)
        for (code, value) in table.enumerated() {
            let ours = FP8E4M3.decode(UInt8(code))
            switch value {
            case .null: #expect(ours.isNaN, "code \(code)")
            case .double(let d): #expect(Double(ours) == d, "code \(code): \(ours) vs \(d)")
            case .int(let i): #expect(Double(ours) == Double(i), "code \(code): \(ours) vs \(i)")
            default: Issue.record("code \(code): unexpected \(value)")
            }
        }
    }
}
