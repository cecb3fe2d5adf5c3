import Foundation
import Testing
import TestSupport
@testable import Storage

@Suite("safetensors reader")
struct SafetensorsReaderTests {
    typealias Files = SafetensorsTestFiles

    @Test("reads BF16, F32, F16, I32, I8 and U8 views with their shapes and values")
    func readsViews() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let f32: [Float] = [1.5, -2.25, 3, 0.125]
        let bf16: [Float] = [1, -0.5, 256, 0.0078125, -3, 7]
        let f16Bits: [UInt16] = [0x3C00, 0xC000]  // 1.0, -2.0
        var data = Files.f32Bytes(f32)                      // 0..<16
        data += Files.i32Bytes([7, -9])                     // 16..<24
        data += Files.bf16Bytes(bf16)                       // 24..<36
        data += f16Bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }  // 36..<40
        data += [0xFE, 0x05]                                // 40..<42 I8 [-2, 5]
        data += [200]                                       // 42..<43 U8
        let header = """
        {"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},\
        "i":{"dtype":"I32","shape":[2],"data_offsets":[16,24]},"b":{"dtype":"BF16","shape":[3,2],"data_offsets":[24,36]},\
        "h":{"dtype":"F16","shape":[2],"data_offsets":[36,40]},"c":{"dtype":"I8","shape":[2],"data_offsets":[40,42]},\
        "u":{"dtype":"U8","shape":[1],"data_offsets":[42,43]}}
        """
        try Files.write(Files.bytes(header: header, data: data), to: dir.file("model.safetensors"))
        let file = try SafetensorsFile(path: dir.file("model.safetensors").path)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.names == ["a", "i", "b", "h", "c", "u"])
        let a = try #require(file.view("a"))
        #expect(a.shape == [2, 2] && a.dtype == .float32)
        #expect(try a.floats().array == f32)
        #expect(try #require(file.view("b")).floats().array == bf16)
        #expect(try #require(file.view("h")).floats().array == [1, -2])
        #expect(try #require(file.view("i")).int32Values() == [7, -9])
        let c = try #require(file.view("c"))
        #expect(c.bytes.map { Int8(bitPattern: $0) } == [-2, 5])
        #expect(try #require(file.view("u")).bytes.first == 200)
        #expect(throws: CheckpointError.self) { try c.floats() }
    }

    /// Writes `header` + `data` and expects opening to fail with an error whose text names the file
    /// and contains `fragment`.
    func expectFailure(header: String, data: [UInt8], mentions fragment: String, rawPrefix: [UInt8]? = nil) throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let url = dir.file("bad.safetensors")
        try Files.write(rawPrefix ?? Files.bytes(header: header, data: data), to: url)
        do {
            _ = try SafetensorsFile(path: url.path)
            Issue.record("opening a bad file did not fail (expected '\(fragment)')")
        } catch let error as CheckpointError {
            #expect(error.description.contains(url.path), "\(error)")
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test("a header length past the end of the file is an error")
    func headerPastEnd() throws {
        var bytes = withUnsafeBytes(of: UInt64(1000).littleEndian) { Array($0) }
        bytes += Array("{}".utf8)
        try expectFailure(header: "", data: [], mentions: "header length 1000", rawPrefix: bytes)
    }

    @Test("a file shorter than the length prefix is an error")
    func shorterThanPrefix() throws {
        try expectFailure(header: "", data: [], mentions: "header length", rawPrefix: [1, 2, 3])
    }

    @Test("a truncated shard (data past the end) names the tensor")
    func truncatedData() throws {
        try expectFailure(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
                          data: [UInt8](repeating: 0, count: 10), mentions: "'w' ends at data byte 16")
    }

    @Test("overlapping offsets name both tensors")
    func overlapping() throws {
        try expectFailure(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                          data: [UInt8](repeating: 0, count: 12), mentions: "'x' and 'y'")
    }

    @Test("a dtype that does not fit the shape names the tensor")
    func dtypeShapeMismatch() throws {
        try expectFailure(header: #"{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}}"#,
                          data: [UInt8](repeating: 0, count: 8), mentions: "'w'")
    }

    @Test("an unknown dtype, malformed JSON, and bad fields are errors", arguments: [
        (#"{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, "unknown dtype 'Q4'"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]"#, "malformed safetensors header"),
        (#"[1,2]"#, "not a JSON object"),
        (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "non-negative"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, "data_offsets"),
        (#"{"w":{"dtype":"F32","shape":[1]}}"#, "data_offsets"),
        (#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, "missing dtype"),
        (#"{"w":7}"#, "not an object"),
        (#"{"__metadata__":{"format":1}}"#, "__metadata__"),
    ])
    func malformedHeaders(header: String, fragment: String) throws {
        try expectFailure(header: header, data: [0, 0, 0, 0], mentions: fragment)
    }

    @Test("an empty file is an error, not a crash")
    func emptyFile() throws {
        try expectFailure(header: "", data: [], mentions: "header length", rawPrefix: [])
    }
}
