import CloudWAL
import Testing

/// `verify`'s backup rules without a store: the manifest against the listing and the bytes read,
/// barman-cloud's layout for backups without a manifest, the record and the WAL the backup needs.
@Suite("verify: backup findings")
struct VerifyBackupFindingTests {
    static let prefix = "pg/pg1/base/20261201T120000/"

    static func info(status: BackupInfo.Status = .done, tablespaces: Bool = false) throws -> BackupInfo {
        var text = "backup_id=20261201T120000\nstatus=\(status.rawValue)\nbegin_wal=000000010000000000000002\n"
            + "end_wal=000000010000000000000003\nbegin_xlog=0/2000028\ntimeline=1\n"
        if tablespaces { text += "tablespaces=[('ts1', 16385, '/srv/ts1')]\n" }
        return try BackupInfo(backupID: "20261201T120000", text: text)
    }

    static func objects(_ names: [String: Int]) -> [ObjectInfo] {
        names.map { ObjectInfo(key: prefix + $0.key, size: $0.value) }
    }

    static func file(_ key: String, sha: String = String(repeating: "a", count: 64), tar: Int = 10240, stored: Int = 500)
        -> BackupManifest.File
    {
        BackupManifest.File(key: key, sha256: sha, tarBytes: tar, storedBytes: stored)
    }

    @Test func theManifestAgainstTheListing() throws {
        let manifest = BackupManifest(files: [Self.file("data.tar.gz"), Self.file("data_0001.tar.gz"), Self.file("data_0002.tar.gz")])
        let objects = Self.objects([
            "backup.info": 300, BackupManifest.fileName: 400, "data.tar.gz": 500, "data_0002.tar.gz": 499,
            "data_0003.tar.gz": 500, "stray.txt": 3,
        ])
        let evidence = BackupEvidence(info: try Self.info(), prefix: Self.prefix, objects: objects, manifest: .present(manifest))
        let findings = BackupChecks.objects(evidence)
        let failures = findings.filter { $0.severity == .failure }.map(\.message)
        #expect(failures == [
            "data_0001.tar.gz is in the manifest but not in the store",
            "data_0002.tar.gz is 499 bytes in the store, the manifest recorded 500",
            "data_0003.tar.gz is in the store but not in the manifest",
        ])
        #expect(findings.filter { $0.severity == .warning }.map(\.message) == ["stray.txt is no part of a backup (left alone)"])
        #expect(findings.allSatisfy { $0.subject == .backup("20261201T120000") && $0.check == .backupObjects })
    }

    @Test func aManifestMustCoverEveryTablespace() throws {
        let manifest = BackupManifest(files: [Self.file("data.tar")])
        let evidence = BackupEvidence(
            info: try Self.info(tablespaces: true), prefix: Self.prefix, objects: Self.objects(["data.tar": 500]),
            manifest: .present(manifest))
        #expect(BackupChecks.objects(evidence).map(\.message) == ["the manifest lists no 16385.tar"])
    }

    @Test func whatTheTarsReadBackAsAgainstTheManifest() throws {
        let good = Self.file("data.tar", sha: String(repeating: "b", count: 64))
        let manifest = BackupManifest(files: [good, Self.file("data_0001.tar"), Self.file("data_0002.tar")])
        var evidence = BackupEvidence(
            info: try Self.info(), prefix: Self.prefix,
            objects: Self.objects(["data.tar": 500, "data_0001.tar": 500, "data_0002.tar": 500]), manifest: .present(manifest))
        evidence.readings = [
            "data.tar": ObjectReading(key: Self.prefix + "data.tar", storedBytes: 500, plainBytes: 10240, sha256: good.sha256, problem: nil),
            "data_0001.tar": ObjectReading(
                key: Self.prefix + "data_0001.tar", storedBytes: 500, plainBytes: 10240, sha256: String(repeating: "c", count: 64),
                problem: nil),
            "data_0002.tar": ObjectReading(
                key: Self.prefix + "data_0002.tar", storedBytes: 20, plainBytes: 0, sha256: nil, problem: "data_0002.tar is corrupt: zstd"),
        ]
        let findings = BackupChecks.content(evidence)
        #expect(findings.count == 2)
        #expect(findings.allSatisfy { $0.severity == .failure && $0.check == .backupContent })
        #expect(findings[0].message.hasPrefix("data_0001.tar has SHA-256 cccc"))
        #expect(findings[1].message == "data_0002.tar is corrupt: zstd")
        #expect(findings[1].key == Self.prefix + "data_0002.tar")
    }

    @Test func withoutAManifestBarmansLayoutIsChecked() throws {
        let objects = Self.objects([
            "backup.info": 300, "data.tar": 10, "data_0001.tar": 10, "data_0001.tar.gz": 10, "data_0003.tar": 10,
        ])
        var evidence = BackupEvidence(info: try Self.info(tablespaces: true), prefix: Self.prefix, objects: objects, manifest: .absent)
        let messages = BackupChecks.objects(evidence).map(\.message)
        #expect(messages == [
            "data_0001.tar.gz is part 1 of data stored a second time",
            "data_0002.tar is missing (part 2 of data)",
            "16385.tar is missing",
        ])
        // Reading to the end is all that can be done: a warning, not a failure.
        evidence.readings = ["data": ObjectReading(key: Self.prefix + "data_0003.tar", storedBytes: 40, plainBytes: 40, sha256: nil, problem: nil)]
        let content = BackupChecks.content(evidence)
        #expect(content.count == 1)
        #expect(content.first?.severity == .warning && content.first?.check == .backupUnchecksummed)
    }

    @Test func onlyADoneBackupWithItsWALPositionsPasses() throws {
        let failed = BackupEvidence(info: try Self.info(status: .failed), prefix: Self.prefix, objects: [], manifest: .absent)
        #expect(BackupChecks.record(failed).map(\.message) == ["status is FAILED, not DONE: it cannot be restored"])
        let noWAL = BackupEvidence(
            info: try BackupInfo(backupID: "20261201T120000", text: "status=DONE\n"), prefix: Self.prefix, objects: [],
            manifest: .absent)
        #expect(BackupChecks.record(noWAL).first?.message.contains("begin_wal, end_wal, begin_xlog") == true)
        let done = BackupEvidence(info: try Self.info(), prefix: Self.prefix, objects: [], manifest: .absent)
        #expect(BackupChecks.record(done).isEmpty)
    }

    @Test func everySegmentUpToTheEndWALIsNeeded() throws {
        var evidence = BackupEvidence(info: try Self.info(), prefix: Self.prefix, objects: [], manifest: .absent)
        evidence.neededWAL = [("000000010000000000000002", .good), ("000000010000000000000003", .missing)]
        let findings = BackupChecks.neededWAL(evidence)
        #expect(findings.map(\.message) == [
            "cannot be restored: WAL 000000010000000000000003 between its begin and end WAL is not archived",
        ])
        #expect(findings.first?.severity == .failure && findings.first?.check == .backupWAL)
        evidence.neededWAL = [("000000010000000000000002", .good), ("000000010000000000000003", .damaged)]
        #expect(BackupChecks.neededWAL(evidence).first?.message.contains("is damaged") == true)
    }

    @Test func theJSONAndConsoleCarryTheSameFindings() {
        var totals = VerifyReport.Totals()
        totals.backupsChecked = 2
        totals.segmentsChecked = 7
        totals.bytesRead = 3 << 20
        totals.seconds = 1.5
        let report = VerifyReport(
            backupIDs: ["20261201T120000", "20261202T120000"],
            findings: [
                .failure(.walGap, .timeline(1), "WAL missing: 000000010000000000000005"),
                .warning(.backupUnchecksummed, .backup("20261202T120000"), "no checksums"),
                .failure(.backupContent, .backup("20261201T120000"), key: "k", "bad \"tar\""),
            ],
            totals: totals)
        #expect(report.exitStatus == 1)
        #expect(!report.isRestorable("20261201T120000") && report.isRestorable("20261202T120000"))
        let lines = VerifyOutput.consoleLines(report)
        #expect(lines.count == 5)
        #expect(lines[0] == "FAILED  timeline 1: WAL missing: 000000010000000000000005")
        #expect(lines[3] == "OK      backup 20261202T120000")
        #expect(lines[4] == "PROBLEMS FOUND: 2 backups, 7 WAL segments checked, 3.0 MiB read in 1.5 s (2.0 MiB/s); 2 failures, 1 warning")
        let json = VerifyOutput.json(report)
        #expect(json["ok"] == .bool(false))
        #expect(json["summary"]?["bytes_read"] == .int(3 << 20))
        #expect(json["summary"]?["mib_per_second"] == .float(2))
        guard case .array(let findings)? = json["findings"] else {
            Issue.record("no findings array")
            return
        }
        #expect(findings.count == 3)
        #expect(findings[0]["timeline"] == .int(1) && findings[0]["check"] == .string("wal-gap"))
        #expect(findings[2]["backup_id"] == .string("20261201T120000") && findings[2]["key"] == .string("k"))
        #expect(json.rendered.contains(#""message":"bad \"tar\"""#))
        let clean = VerifyReport(backupIDs: ["20261202T120000"], findings: [report.findings[1]], totals: totals)
        #expect(clean.exitStatus == 0)
    }
}
