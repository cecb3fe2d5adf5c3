import DataPipeline
import Foundation
import Storage
import Testing
import TestSupport

@Suite("Token cache")
struct TokenCacheTests {
    let key = TokenCacheKey(tokenizer: "tok", template: "tpl", sources: "src", options: "packing=false")
    let examples = [
        LabeledExample(inputIds: [1, 2, 3], labels: [-100, 2, 3]),
        LabeledExample(inputIds: [163586], labels: [163586]),
        LabeledExample(inputIds: [7, 8], labels: [-100, -100]),
    ]

    func summary() -> DatasetSummary {
        var s = DatasetSummary()
        s.recordsRead = 5
        s.recordsSkipped = 2
        s.skipReasons = ["a.jsonl:3: bad", "a.jsonl:4: 中文"]
        return s
    }

    @Test("built once, then reused with identical examples and summary")
    func reuse() throws {
        let dir = try TemporaryDirectory("cache")
        defer { dir.remove() }
        let path = dir.file("tokens.h5").path
        var builds = 0
        let first = try TokenCache.loadOrBuild(at: path, key: key) { builds += 1; return (examples, summary()) }
        #expect(first.status == .built(reason: "no cache at \(path)"))
        let second = try TokenCache.loadOrBuild(at: path, key: key) { builds += 1; return ([], DatasetSummary()) }
        #expect(second.status == .reused && builds == 1)
        #expect(second.examples == examples)
        #expect(second.summary.recordsRead == 5 && second.summary.recordsSkipped == 2 && second.summary.skipReasons == summary().skipReasons)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }

    @Test("any differing key field rebuilds and names the field", arguments: ["tokenizer_sha256", "template_sha256", "sources_sha256", "options"])
    func rebuild(field: String) throws {
        let dir = try TemporaryDirectory("cache")
        defer { dir.remove() }
        let path = dir.file("tokens.h5").path
        try TokenCache.store(examples, summary: summary(), key: key, at: path)
        var changed = key
        switch field {
        case "tokenizer_sha256": changed.tokenizer = "other"
        case "template_sha256": changed.template = "other"
        case "sources_sha256": changed.sources = "other"
        default: changed.options = "packing=true"
        }
        let result = try TokenCache.loadOrBuild(at: path, key: changed) { ([examples[0]], DatasetSummary()) }
        #expect(result.status == .built(reason: "\(field) differs"))
        #expect(result.examples == [examples[0]])
        // The rebuilt cache now matches the new key.
        #expect(try TokenCache.loadOrBuild(at: path, key: changed) { ([], DatasetSummary()) }.status == .reused)
    }

    @Test("a damaged or foreign file is rebuilt, not trusted")
    func damaged() throws {
        let dir = try TemporaryDirectory("cache")
        defer { dir.remove() }
        let path = dir.file("tokens.h5").path
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        let r1 = try TokenCache.loadOrBuild(at: path, key: key) { (examples, summary()) }
        guard case .built(let reason) = r1.status else { Issue.record("garbage reused"); return }
        #expect(reason.hasPrefix("cache unreadable"), "\(reason)")
        // An HDF5 file with the right attributes but no datasets.
        let file = try HDF5File.create(path)
        try file.setAttribute("format_version", integer: TokenCache.formatVersion)
        for (name, value) in [("tokenizer_sha256", "tok"), ("template_sha256", "tpl"), ("sources_sha256", "src"), ("options", "packing=false")] {
            try file.setAttribute(name, string: value)
        }
        file.close()
        let r2 = try TokenCache.loadOrBuild(at: path, key: key) { (examples, summary()) }
        #expect(r2.status != .reused && r2.examples == examples)
    }

    @Test("source fingerprint changes with contents and path; missing file is a typed error")
    func sourceHash() throws {
        let dir = try TemporaryDirectory("cache")
        defer { dir.remove() }
        let a = dir.file("a.jsonl"), b = dir.file("b.jsonl")
        try Data("{}\n".utf8).write(to: a)
        try Data("{}\n".utf8).write(to: b)
        let ha = try TokenCacheKey.hashFiles([a.path])
        #expect(ha == (try TokenCacheKey.hashFiles([a.path])))
        #expect(ha != (try TokenCacheKey.hashFiles([b.path])))
        try Data("{} \n".utf8).write(to: a)
        #expect(ha != (try TokenCacheKey.hashFiles([a.path])))
        #expect(throws: TokenCacheError.unreadableSource(path: dir.file("none").path)) {
            try TokenCacheKey.hashFiles([dir.file("none").path])
        }
    }

    @Test("SHA-256 matches the FIPS 180-4 test vectors, fed whole or in odd pieces")
    func sha256() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(SHA256.hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        for split in [1, 3, 7, 55, 56, 63, 64] {
            var h = SHA256()
            var rest = Array(long.utf8)
            while !rest.isEmpty { h.update(rest.prefix(split)); rest.removeFirst(min(split, rest.count)) }
            #expect(h.hexDigest == SHA256.hex(long))
        }
        var million = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { million.update(chunk) }
        #expect(million.hexDigest == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
