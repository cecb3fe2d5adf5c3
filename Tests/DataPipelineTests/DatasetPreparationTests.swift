import DataPipeline
import Foundation
import Testing
import TestSupport

@Suite("Dataset preparation")
struct DatasetPreparationTests {
    @Test("files -> cached examples -> packed batches; the cache is reused and survives packing changes, rebuilt on option change")
    func endToEnd() throws {
        let dir = try TemporaryDirectory("prep")
        defer { dir.remove() }
        let data = dir.file("d.jsonl")
        let lines = (0..<6).map { #"{"messages":[{"role":"user","content":"q\#($0)"},{"role":"assistant","content":"answer \#($0)"}]}"# }
        try Data(lines.joined(separator: "\n").utf8).write(to: data)
        var prep = DatasetPreparation(files: [data.path], cutoffLength: 128, packing: true, cachePath: dir.file("c.h5").path)
        let run = { (p: DatasetPreparation) in
            try p.run(renderer: ToyKimiRenderer(), tokenizer: ToyByteTokenizer(), tokenizerFingerprint: "t", templateFingerprint: "k")
        }
        let first = try run(prep)
        #expect(first.cache == .built(reason: "no cache at \(dir.file("c.h5").path)"))
        #expect(first.dataset.recordsRead == 6 && first.packing.examplesPacked == 6)
        #expect(first.sequences.allSatisfy { $0.count <= 128 } && first.sequences.count < 6)
        prep.packing = false
        let second = try run(prep)
        #expect(second.cache == .reused && second.sequences.count == 6 && second.dataset.recordsRead == 6)
        #expect(second.sequences.map(\.inputIds).joined().elementsEqual(first.sequences.map(\.inputIds).joined()))
        prep.masks.trainOnPrompt = true
        #expect(try run(prep).cache == .built(reason: "options differs"))
        try Data((lines + [lines[0]]).joined(separator: "\n").utf8).write(to: data)
        #expect(try run(prep).cache == .built(reason: "sources_sha256 differs"))
    }
}
