import CloudWAL
import Testing

@Suite("barman-cloud object layout")
struct ArchiveLayoutTests {
    @Test func segmentKeysUseUpperCaseHashDirectory() throws {
        let layout = try ArchiveLayout(prefix: "pfx", serverName: "pg1")
        let wal = try #require(WALFileName("0000000a0000000000000002"))
        #expect(layout.key(for: wal, compression: .gzip) == "pfx/pg1/wals/0000000A00000000/0000000a0000000000000002.gz")
        #expect(layout.key(for: wal, compression: nil) == "pfx/pg1/wals/0000000A00000000/0000000a0000000000000002")
    }

    @Test func historyBackupAndPartialPlacement() throws {
        let layout = try ArchiveLayout(prefix: "", serverName: "pg1")
        let history = try #require(WALFileName("00000002.history"))
        #expect(layout.key(for: history, compression: nil) == "pg1/wals/00000002.history")
        let label = try #require(WALFileName("000000010000000000000001.00000028.backup"))
        #expect(layout.key(for: label, compression: .zstd)
            == "pg1/wals/0000000100000000/000000010000000000000001.00000028.backup.zst")
        let partial = try #require(WALFileName("000000010000000000000008.partial"))
        #expect(layout.key(for: partial, compression: .gzip)
            == "pg1/wals/0000000100000000/000000010000000000000008.partial.gz")
    }

    @Test func prefixJoinsLikeOsPathJoin() throws {
        #expect(try ArchiveLayout(prefix: "a/b/", serverName: "s").walsPrefix == "a/b/s/wals/")
        #expect(try ArchiveLayout(prefix: "a/b", serverName: "s").walsPrefix == "a/b/s/wals/")
        #expect(try ArchiveLayout(prefix: "", serverName: "s").walsPrefix == "s/wals/")
    }

    @Test(arguments: ["", "a/b", ".hidden", "..", "line\nbreak"])
    func rejectsServerNamesThatAreNotOneComponent(name: String) {
        #expect(throws: WALError.self) { try ArchiveLayout(prefix: "", serverName: name) }
    }

    @Test(arguments: Compression.allCases)
    func parsesEveryExtension(compression: Compression) throws {
        let key = "p/s/wals/0000000100000000/000000010000000000000001" + compression.fileExtension
        let parsed = try #require(ArchiveLayout.parseObjectName(key))
        #expect(parsed.wal.name == "000000010000000000000001")
        #expect(parsed.compression == compression)
    }

    @Test func ignoresUnknownObjects() {
        #expect(ArchiveLayout.parseObjectName("p/s/wals/0000000100000000/000000010000000000000001.lzo") == nil)
        #expect(ArchiveLayout.parseObjectName("p/s/wals/0000000100000000/readme.txt") == nil)
        #expect(ArchiveLayout.parseObjectName("p/s/wals/00000002.history")?.wal.kind == .history)
    }
}
