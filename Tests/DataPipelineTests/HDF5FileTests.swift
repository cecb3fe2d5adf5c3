import Foundation
import Storage
import Testing
import TestSupport

@Suite("HDF5File")
struct HDF5FileTests {
    @Test("1-D and 2-D datasets round-trip for every element type", arguments: [0, 1, 3, 7, 70_001])
    func roundTrip(count: Int) throws {
        let dir = try TemporaryDirectory("hdf5")
        defer { dir.remove() }
        let path = dir.file("a.h5").path
        let ints = (0..<count).map { Int32(truncatingIfNeeded: $0 &* 7919 &- 5) }
        let floats = (0..<count).map { Float($0) * 0.25 - 3 }
        let doubles = (0..<(count * 2)).map { Double($0) / 3 }
        do {
            let file = try HDF5File.create(path)
            try file.write(ints, to: "tokens/input_ids")
            try file.write(floats, to: "f")
            try file.write(ints.map { Int64($0) << 20 }, to: "offsets")
            try file.write(doubles, shape: [count, 2], to: "state/deep/d")
            file.close()
        }
        let file = try HDF5File.open(path)
        let readInts = try file.read("tokens/input_ids", as: Int32.self)
        #expect(readInts.values == ints && readInts.shape == [count])
        #expect(try file.read("offsets", as: Int64.self).values == ints.map { Int64($0) << 20 })
        let readFloats = try file.read("f", as: Float.self)
        let c = closeness(readFloats.values, floats, absolute: 0, relative: 0)
        #expect(c.passes, "\(c)")
        let readDoubles = try file.read("state/deep/d", as: Double.self)
        #expect(readDoubles.shape == [count, 2])
        let d = closeness(readDoubles.values, doubles, absolute: 0, relative: 0)
        #expect(d.passes, "\(d)")
    }

    @Test("string and integer attributes on the file, groups and datasets; replacement")
    func attributes() throws {
        let dir = try TemporaryDirectory("hdf5")
        defer { dir.remove() }
        let path = dir.file("attrs.h5").path
        do {
            let file = try HDF5File.create(path)
            try file.createGroup("g/h")
            try file.write([Int32(1), 2], to: "g/h/x")
            try file.setAttribute("template", string: "中文 <|im_end|> \"quoted\"")
            try file.setAttribute("empty", string: "")
            try file.setAttribute("count", integer: -(1 << 40), on: "g/h")
            try file.setAttribute("version", integer: 1, on: "g/h/x")
            try file.setAttribute("version", integer: 2, on: "g/h/x")
        }
        let file = try HDF5File.open(path)
        #expect(try file.stringAttribute("template") == "中文 <|im_end|> \"quoted\"")
        #expect(try file.stringAttribute("empty") == "")
        #expect(try file.integerAttribute("count", on: "g/h") == -(1 << 40))
        #expect(try file.integerAttribute("version", on: "g/h/x") == 2)
        #expect(try file.stringAttribute("absent") == nil)
        #expect(file.contains("g/h/x") && file.contains("/g") && !file.contains("g/nope/x"))
    }

    @Test("errors name the file and object instead of crashing")
    func errors() throws {
        let dir = try TemporaryDirectory("hdf5")
        defer { dir.remove() }
        let path = dir.file("e.h5").path
        let file = try HDF5File.create(path)
        try file.write([Float(1), 2, 3], to: "f")
        try file.setAttribute("s", string: "x")
        #expect(throws: HDF5Error.wrongElementType(path: path, object: "f", expected: "int32", found: "float32")) {
            try file.read("f", as: Int32.self)
        }
        #expect(throws: HDF5Error.wrongElementType(path: path, object: "f", expected: "float64", found: "float32")) {
            try file.read("f", as: Double.self)
        }
        #expect(throws: HDF5Error.missing(path: path, object: "nope")) { try file.read("nope", as: Float.self) }
        #expect(throws: HDF5Error.shapeMismatch(path: path, object: "bad", shape: [2, 2], count: 3)) {
            try file.write([Float(1), 2, 3], shape: [2, 2], to: "bad")
        }
        #expect(throws: HDF5Error.unsupportedRank(path: path, object: "r3", rank: 3)) {
            try file.write([Float(1)], shape: [1, 1, 1], to: "r3")
        }
        #expect(throws: HDF5Error.callFailed(function: "H5Dcreate2", path: path, object: "f")) {
            try file.write([Float(1)], to: "f")
        }
        #expect(throws: HDF5Error.self) { try file.integerAttribute("s") }
        file.close()
        #expect(throws: HDF5Error.self) { try file.read("f", as: Float.self) }
    }

    @Test("opening a missing or non-HDF5 file is a typed error")
    func malformedFiles() throws {
        let dir = try TemporaryDirectory("hdf5")
        defer { dir.remove() }
        #expect(throws: HDF5Error.missing(path: dir.file("none.h5").path, object: "/")) {
            try HDF5File.open(dir.file("none.h5").path)
        }
        let junk = dir.file("junk.h5")
        try Data("not an hdf5 file at all".utf8).write(to: junk)
        #expect(throws: HDF5Error.callFailed(function: "H5Fopen", path: junk.path, object: "/")) {
            try HDF5File.open(junk.path)
        }
    }
}
