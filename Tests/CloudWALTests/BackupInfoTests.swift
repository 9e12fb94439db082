import CloudWAL
import Testing

@Suite("backup.info in barman's format")
struct BackupInfoTests {
    /// Lines as barman 3.19 writes them for a cloud backup with one tablespace.
    static let barmanText = """
        backup_label='START WAL LOCATION: 0/5000028 (file 000000010000000000000005)\\nCHECKPOINT LOCATION: 0/5000060\\nLABEL: Barman backup cloud 20261122T040302\\n'
        backup_name=nightly
        begin_offset=40
        begin_time=2026-11-22 04:03:02.468183+00:00
        begin_wal=000000010000000000000005
        begin_xlog=0/5000028
        children_backup_ids=None
        cluster_size=26787529
        compression=None
        config_file=/var/lib/postgresql/15/main/postgresql.conf
        copy_stats={'total_time': 1.5, 'number_of_workers': 2}
        data_checksums=on
        deduplicated_size=3500503
        encryption=None
        end_offset=256
        end_time=2026-11-22 04:03:02.906322+00:00
        end_wal=000000010000000000000005
        end_xlog=0/5000100
        error=None
        hba_file=/etc/postgresql/15/main/pg_hba.conf
        ident_file=/etc/postgresql/15/main/pg_ident.conf
        included_files=None
        mode=concurrent
        parent_backup_id=None
        pgdata=/var/lib/postgresql/15/main
        server_name=cloud
        size=3500503
        status=DONE
        summarize_wal=None
        systemid=7710841060650207690
        tablespaces=[('tbs1', 16385, '/srv/tbs1'), ("it's", 16386, '/srv/q')]
        timeline=1
        version=150018
        xlog_segment_size=16777216

        """

    @Test func readsBarmansFields() throws {
        let info = try BackupInfo(backupID: "20261122T040302", text: Self.barmanText)
        #expect(info.status == .done)
        #expect(info.backupName == "nightly")
        #expect(info.beginWAL == "000000010000000000000005")
        #expect(info.beginOffset == 40)
        #expect(info.timeline == 1)
        #expect(info.version == 150018)
        #expect(info.size == 3_500_503)
        #expect(info.xlogSegmentSize == 16 << 20)
        #expect(info.error == nil)
        #expect(info.endTime == (try Timestamp(parsing: "2026-11-22 04:03:02.906322+00:00")))
        #expect(info.backupLabel?.hasPrefix("START WAL LOCATION: 0/5000028 (file 000000010000000000000005)\nCHECKPOINT") == true)
        #expect(info.tablespaces == [
            .init(name: "tbs1", oid: 16385, location: "/srv/tbs1"), .init(name: "it's", oid: 16386, location: "/srv/q"),
        ])
    }

    @Test func rewritesByteForByte() throws {
        let info = try BackupInfo(backupID: "x", text: Self.barmanText)
        #expect(info.text == Self.barmanText.split(separator: "\n").map { $0 + "\n" }.joined())
    }

    @Test func typedWritesKeepUnmodelledFields() throws {
        var info = try BackupInfo(backupID: "x", text: Self.barmanText)
        info.status = .failed
        info.error = "failure uploading data (connection reset)"
        info.tablespaces = []
        let again = try BackupInfo(backupID: "x", text: info.text)
        #expect(again.status == .failed)
        #expect(again.error == "failure uploading data (connection reset)")
        #expect(again.tablespaces.isEmpty)
        #expect(again.raw("tablespaces") == nil)
        #expect(again.raw("copy_stats") == "{'total_time': 1.5, 'number_of_workers': 2}")
    }

    @Test func newRecordHasEveryBarmanField() throws {
        var info = BackupInfo(backupID: "20260101T000000")
        info.backupLabel = "START WAL LOCATION: 0/2000028\nLABEL: it's\n"
        let lines = info.text.split(separator: "\n").map { String($0.split(separator: "=", maxSplits: 1)[0]) }
        // backup_name and snapshots_info are hidden while unset, as barman hides them.
        #expect(lines == BackupInfo.barmanFields.sorted())
        #expect(info.text.contains("status=EMPTY\n"))
        #expect(info.text.contains(#"backup_label="START WAL LOCATION: 0/2000028\nLABEL: it's\n""#))
        #expect(try BackupInfo(backupID: "x", text: info.text).backupLabel == info.backupLabel)
    }

    @Test func refusesGarbage() {
        #expect(throws: BackupError.self) { try BackupInfo(backupID: "x", text: "status=DONE\nno equals sign\n") }
        #expect(throws: BackupError.self) { try BackupInfo(backupID: "x", text: "status=ALMOST\n") }
    }
}

@Suite("Python literals")
struct PythonLiteralTests {
    @Test(arguments: [
        ("plain", "'plain'"),
        ("it's", #""it's""#),
        (#"both ' and ""#, #"'both \' and "'"#),
        ("line\nbreak\ttab\\", #"'line\nbreak\ttab\\'"#),
        ("bell\u{07}", #"'bell\x07'"#),
        ("é", "'é'"),
    ])
    func reprMatchesPython(text: String, expected: String) throws {
        #expect(PythonLiteral.repr(text) == expected)
        #expect(try PythonLiteral(parsing: expected).stringValue == text)
    }

    @Test func parsesContainers() throws {
        let value = try PythonLiteral(parsing: "{'a': [1, -2, 3.5], 'b': (None, True, False), 'c': ('x',)}")
        #expect(value == .dict([
            (.string("a"), .list([.int(1), .int(-2), .float(3.5)])),
            (.string("b"), .tuple([.none, .bool(true), .bool(false)])),
            (.string("c"), .tuple([.string("x")])),
        ]))
        #expect(value.repr == "{'a': [1, -2, 3.5], 'b': (None, True, False), 'c': ('x',)}")
    }

    @Test(arguments: ["[1, 2", "'open", "{'a' 1}", "[1] extra", "nonsense"])
    func refusesMalformed(text: String) {
        #expect(throws: PythonLiteralError.self) { try PythonLiteral(parsing: text) }
    }
}

@Suite("Timestamps and LSNs")
struct TimestampTests {
    @Test func barmanFormatRoundTrips() throws {
        let text = "2025-10-24 02:26:08.217166+00:00"
        let time = try Timestamp(parsing: text)
        #expect(time.description == text)
        #expect(time.epochSeconds == 1_761_272_768)
        #expect(time.ctime == "Fri Oct 24 02:26:08 2025")
        #expect(time.isoFormat == "2025-10-24T02:26:08.217166+00:00")
    }

    @Test func postgresFormsAndOffsets() throws {
        let utc = try Timestamp(parsing: "2026-11-22 04:02:19.17+00")
        #expect(utc.description == "2026-11-22 04:02:19.170000+00:00")
        let shifted = try Timestamp(parsing: "2026-11-22T05:32:19.17+01:30")
        #expect(shifted == utc)
        #expect(shifted.description == "2026-11-22 05:32:19.170000+01:30")
        #expect(try Timestamp(parsing: "2026-11-22 04:02:19Z").backupID == "20261122T040219")
        #expect(try Timestamp(parsing: "2024-02-29 23:59:59-05").epochSeconds == 1_709_269_199)
        #expect(try Timestamp(parsing: "1969-12-31 23:59:59+00:00").epochSeconds == -1)
    }

    @Test(arguments: ["2026-13-01 00:00:00", "yesterday", "2026-11-22 25:00:00", "2026-11-22 04:02:19+0x"])
    func refusesNonTimes(text: String) {
        #expect(throws: TimestampError.self) { try Timestamp(parsing: text) }
    }

    @Test func lsnToSegment() throws {
        let start = try #require(LSN("0/2000028"))
        #expect(start.segment(timeline: 1, segmentSize: 16 << 20) == ("000000010000000000000002", 40))
        let far = try #require(LSN("16/B374D848"))
        #expect(far.segment(timeline: 3, segmentSize: 16 << 20) == ("0000000300000016000000B3", 0x74D848))
        #expect(far.segment(timeline: 1, segmentSize: 64 << 20) == ("00000001000000160000002C", 0x374D848))
        #expect(far.description == "16/B374D848")
        #expect(LSN("16/") == nil)
        #expect(LSN("0/2000028")! < far)
    }
}
