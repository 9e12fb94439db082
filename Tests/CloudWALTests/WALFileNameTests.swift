import CloudWAL
import Testing

@Suite("WAL file names")
struct WALFileNameTests {
    @Test(arguments: [
        ("000000010000000000000001", WALFileName.Kind.segment),
        ("0000000A00000002000000FF", .segment),
        ("0000000a00000002000000ff", .segment),
        ("000000010000000000000002.partial", .partial),
        ("000000010000000000000002.00000028.backup", .backupLabel),
        ("00000002.history", .history),
    ])
    func acceptsBarmanGrammar(name: String, kind: WALFileName.Kind) throws {
        let wal = try #require(WALFileName(name))
        #expect(wal.kind == kind)
        #expect(wal.name == name)
    }

    @Test(arguments: [
        "", "00000001", "00000001000000000000000", "0000000100000000000000011",
        "00000001000000000000000G", "000000010000000000000001.gz", "000000010000000000000001.partial.gz",
        "00000001.history.gz", "0000000100000000000000C1-INVALID", "000000010000000000000002.0000002.backup",
        "000000010000000000000002.00000028.backupx", "not_a_valid_wal_name", "../000000010000000000000001",
        "00000002.History", " 000000010000000000000001",
    ])
    func rejectsEverythingElse(name: String) {
        #expect(WALFileName(name) == nil)
    }

    @Test func partsAndHashDirectory() throws {
        let wal = try #require(WALFileName("0000000a000000020000003c"))
        #expect(wal.timeline == 10)
        #expect(wal.log == 2)
        #expect(wal.segment == 0x3c)
        #expect(wal.hashDirectory == "0000000A00000002")
        #expect(wal.segmentName == "0000000a000000020000003c")
        #expect(try #require(WALFileName("00000003.history")).hashDirectory == nil)
        #expect(try #require(WALFileName("000000010000000000000002.partial")).segmentName == "000000010000000000000002")
    }

    @Test func segmentSizes() {
        #expect(WALSegmentSize.isValid(16 << 20))
        #expect(WALSegmentSize.isValid(1 << 20))
        #expect(WALSegmentSize.isValid(1 << 30))
        #expect(!WALSegmentSize.isValid(0))
        #expect(!WALSegmentSize.isValid(1 << 19))
        #expect(!WALSegmentSize.isValid(1 << 31))
        #expect(!WALSegmentSize.isValid((16 << 20) - 1))
    }
}
