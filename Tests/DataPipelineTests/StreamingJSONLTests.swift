import Foundation
import Storage
import Testing
import TestSupport
@testable import DataPipeline

/// JSONL and JSONL.zst streaming: records, offsets, resume, and malformed files.
@Suite struct StreamingJSONLTests {
    static let text = "{\"a\": 1}\n\n{\"b\": [\"中文\", 2.5]}\r\n  \n{\"c\": null}"

    static func write(_ bytes: [UInt8], _ name: String, in dir: TemporaryDirectory) throws -> URL {
        let url = dir.file(name)
        try Data(bytes).write(to: url)
        return url
    }

    static func records(_ url: URL, from start: JSONLPosition = .start) throws -> [JSONLRecord] {
        let reader = try JSONLReader(url: url, resumingAt: start)
        var out: [JSONLRecord] = []
        while let r = try reader.nextRecord() { out.append(r) }
        return out
    }

    @Test(arguments: [false, true])
    func readsRecordsWithLinesAndOffsets(compressed: Bool) throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let raw = Array(Self.text.utf8)
        let url = try Self.write(compressed ? Zstd.compress(raw) : raw, compressed ? "d.jsonl.zst" : "d.jsonl", in: dir)
        let records = try Self.records(url)
        #expect(records.map(\.line) == [1, 3, 5])
        #expect(records.map(\.byteOffset) == [0, 10, 37])
        #expect(records[0].value == .object(JSONObject([("a", .int(1))])))
        #expect(records[1].value["b"]?.arrayValue?.first == .string("中文"))
        #expect(records[2].value["c"] == .null)
        #expect(records[0].next == JSONLPosition(byteOffset: 9, line: 2))
        for (i, r) in records.enumerated() {
            let resumed = try Self.records(url, from: JSONLPosition(byteOffset: r.byteOffset, line: r.line))
            #expect(resumed.map(\.line) == records[i...].map(\.line))
            #expect(resumed.map(\.value) == records[i...].map(\.value))
        }
        #expect(try Self.records(url, from: records[2].next).isEmpty)
    }

    @Test func rawLinesAcrossChunkBoundaries() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        var text = ""
        for i in 0..<40_000 { text += "{\"i\": \(i), \"pad\": \"\(String(repeating: "x", count: i % 97))\"}\n" }
        let raw = Array(text.utf8)
        #expect(raw.count > 2 * DecompressedByteStream.readChunkSize)
        // Two concatenated frames, as `cat a.zst b.zst` gives.
        let cut = raw.count / 2
        let zst = try Zstd.compress(Array(raw[..<cut])) + Zstd.compress(Array(raw[cut...]))
        for url in [try Self.write(raw, "big.jsonl", in: dir), try Self.write(zst, "big.jsonl.zst", in: dir)] {
            let reader = try JSONLReader(url: url)
            var count = 0, lastOffset: Int64 = -1
            var resumeAt = JSONLPosition.start
            while let line = try reader.nextLine() {
                #expect(line.bytes.first == UInt8(ascii: "{") && line.bytes.last == UInt8(ascii: "}"), "line \(line.line)")
                #expect(line.byteOffset > lastOffset)
                lastOffset = line.byteOffset
                count += 1
                if count == 31_234 { resumeAt = reader.position }
            }
            #expect(count == 40_000)
            let resumed = try JSONLReader(url: url, resumingAt: resumeAt)
            let record = try resumed.nextRecord()
            #expect(record?.value["i"] == .int(31_234) && record?.line == 31_235)
        }
    }

    @Test func invalidJSONNamesFileLineColumn() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let url = try Self.write(Array("{\"a\": 1}\n{\"a\": tru}\n".utf8), "bad.jsonl", in: dir)
        let reader = try JSONLReader(url: url)
        _ = try reader.nextRecord()
        #expect(throws: StreamingError.self) { try reader.nextRecord() }
        do { _ = try JSONLReader(url: url).nextRecordSkipping(1) } catch let e as StreamingError {
            guard case .invalidRecord(let file, let line, let column, _) = e else { Issue.record("\(e)"); return }
            #expect(file == url.path && line == 2 && column == 7, "\(e)")
            #expect(e.description.hasPrefix("\(url.path):2:7: invalid JSON"))
        }
    }

    @Test func invalidUTF8() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let url = try Self.write(Array("{\"a\": \"ok\"}\n{\"a\": \"".utf8) + [0xC3, 0x28] + Array("\"}\n".utf8), "utf8.jsonl", in: dir)
        #expect(throws: StreamingError.self) { try Self.records(url) }
        do { _ = try Self.records(url) } catch let e as StreamingError {
            #expect(e.description.contains(":2:") && e.description.contains("UTF-8"), "\(e)")
        }
    }

    @Test func truncatedAndCorruptZstd() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let compressed = try Zstd.compress(Array(String(repeating: "{\"k\": \"value\"}\n", count: 500).utf8))
        let truncated = try Self.write(Array(compressed.dropLast(7)), "t.jsonl.zst", in: dir)
        #expect(throws: ZstdError.truncated(file: truncated.path)) { try Self.records(truncated) }
        var corrupted = compressed
        corrupted[corrupted.count / 2] ^= 0xFF
        corrupted[corrupted.count / 2 + 1] ^= 0x5A
        let corrupt = try Self.write(corrupted, "c.jsonl.zst", in: dir)
        #expect(throws: (any Error).self) { try Self.records(corrupt) }
        let garbage = try Self.write([0x28, 0xB5, 0x2F, 0xFD, 0x08] + [UInt8](repeating: 0x41, count: 64), "g.jsonl.zst", in: dir)
        do { _ = try Self.records(garbage); Issue.record("garbage accepted") } catch let e as ZstdError {
            guard case .corrupt(let file, _) = e else { Issue.record("\(e)"); return }
            #expect(file == garbage.path)
        }
    }

    @Test func badResumeOffsets() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let raw = Array(Self.text.utf8)
        for url in [try Self.write(raw, "r.jsonl", in: dir), try Self.write(try Zstd.compress(raw), "r.jsonl.zst", in: dir)] {
            #expect(throws: StreamingError.badResumeOffset(file: url.path, offset: 3, reason: "not the start of a line")) {
                try JSONLReader(url: url, resumingAt: JSONLPosition(byteOffset: 3, line: 1))
            }
            #expect(throws: StreamingError.self) { try JSONLReader(url: url, resumingAt: JSONLPosition(byteOffset: 10_000, line: 1)) }
        }
    }

    /// The escape path of the JSON parser (runs copied in bulk, \\u escapes encoded directly),
    /// which JSONL records from `json.dumps` (ensure_ascii, code with quotes and newlines) hit most.
    @Test func escapedStringsInRecords() throws {
        let line = #"{"s": "plain \"quoted\" line\nnext\ttab \u00e9\u4e2d\u6587 \ud83d\ude00 end\\", "t": "\u0041\u07ff\u0800\uffff"}"#
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let url = try Self.write(Array((line + "\n").utf8), "esc.jsonl", in: dir)
        let record = try #require(try Self.records(url).first)
        #expect(record.value["s"] == .string("plain \"quoted\" line\nnext\ttab é中文 😀 end\\"))
        #expect(record.value["t"] == .string("A\u{7FF}\u{800}\u{FFFF}"))
    }

    @Test func lineLimitAndMissingFile() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let url = try Self.write(Array(("{\"a\": \"" + String(repeating: "y", count: 5000) + "\"}\n").utf8), "long.jsonl", in: dir)
        do { _ = try JSONLReader(url: url, maximumLineBytes: 1000).nextLine(); Issue.record("long line accepted") } catch let e as StreamingError {
            #expect(e == .lineTooLong(file: url.path, line: 1, limit: 1000))
        }
        #expect(throws: StreamingError.self) { try JSONLReader(url: dir.file("missing.jsonl")) }
    }
}

extension JSONLReader {
    /// Skips `count` records, then returns the next.
    func nextRecordSkipping(_ count: Int) throws -> JSONLRecord? {
        for _ in 0..<count { _ = try nextRecord() }
        return try nextRecord()
    }
}
