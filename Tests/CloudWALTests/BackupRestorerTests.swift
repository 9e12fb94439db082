import CloudWAL
import Crypto
import Foundation
import Testing

/// The whole restore path over the file:// store: listing, split parts, decompression, the
/// manifest check, tablespaces, pg_wal, and the recovery settings.
@Suite("BackupRestorer")
struct BackupRestorerTests {
    static let server = "pg1"

    struct Fixture: FileArchiveFixture {
        let base: FileArchive

        init() throws {
            base = try FileArchive(storeFolder: "store", prefix: "pfx", serverName: BackupRestorerTests.server)
        }

        /// A fixture whose dir/tars holds the tars `script` writes.
        init(tars script: String) throws {
            try self.init()
            try makeTars(script)
        }

        var restorer: BackupRestorer { BackupRestorer(store: store, layout: layout, logger: TestData.quietLogger) }

        /// Python writes tar files named in `script` into dir/tars.
        func makeTars(_ script: String) throws {
            let tars = dir.path + "/tars"
            try FileManager.default.createDirectory(atPath: tars, withIntermediateDirectories: true)
            try TarTool.python("import tarfile, io\n" + script, in: tars)
        }

        func tar(_ name: String) throws -> [UInt8] { try TarTool.read(dir.path + "/tars/" + name) }

        func put(_ backupID: String, _ fileName: String, _ bytes: [UInt8]) async throws {
            _ = try await store.put(layout.backupPrefix(backupID) + fileName, body: bytes, options: PutOptions(createOnly: false))
        }

        func putInfo(_ backupID: String, status: BackupInfo.Status = .done, endTime: String = "2026-01-01 12:00:00+00:00",
                     endXLOG: String = "0/3000100", timeline: Int = 1, tablespaces: [BackupInfo.Tablespace] = []) async throws {
            var info = BackupInfo(backupID: backupID)
            info.status = status
            info.endTime = try Timestamp(parsing: endTime)
            info.endXLOG = endXLOG
            info.timeline = timeline
            info.tablespaces = tablespaces
            try await put(backupID, "backup.info", info.bytes)
        }

        /// A backup of one `data.tar`: its `backup.info` and the tar (by default dir/tars/data.tar as made).
        func putBackup(_ backupID: String, status: BackupInfo.Status = .done, timeline: Int = 1, data: [UInt8]? = nil) async throws {
            try await putInfo(backupID, status: status, timeline: timeline)
            try await put(backupID, "data.tar", try data ?? tar("data.tar"))
        }
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let compressor = try Compression.gzip.makeCompressor()
        var out: [UInt8] = []
        try bytes.withUnsafeBytes { try compressor.compress($0, into: &out) }
        try compressor.finish(into: &out)
        return out
    }

    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hexString }

    static let dataScript = """
        def add(t, name, data, mode=0o600):
            i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode; t.addfile(i, io.BytesIO(data))
        def adddir(t, name):
            i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o700; t.addfile(i)
        with tarfile.open('data.tar', 'w') as t:
            adddir(t, '.'); adddir(t, 'base'); adddir(t, 'global')
            add(t, 'PG_VERSION', b'15\\n'); add(t, 'base/big', bytes(range(256)) * 4000)
            add(t, 'postgresql.auto.conf', b"restore_command = 'old'\\nrecovery_target_name = 'x'\\nwork_mem = '4MB'\\n")
            add(t, 'standby.signal', b'')
        with tarfile.open('data_0001.tar', 'w') as t:
            add(t, 'global/pg_control', b'control' * 100)
        with tarfile.open('16385.tar', 'w') as t:
            adddir(t, '.'); adddir(t, 'PG_15_202209061'); add(t, 'PG_15_202209061/x', b'tablespace data')
        """

    @Test("Restores split, compressed parts and a tablespace; writes recovery settings")
    func fullRestore() async throws {
        let fx = try Fixture(tars: Self.dataScript)
        defer { fx.dir.remove() }
        let id = "20260101T120000"
        let location = fx.dir.path + "/tblspc-original"
        let relocated = fx.dir.path + "/tblspc-new"
        try await fx.putInfo(id, tablespaces: [.init(name: "ts1", oid: 16385, location: location)])
        // Stored as cloud-wal's backup stores them, with its manifest over all three.
        var files: [BackupManifest.File] = []
        for (key, tar, gzip) in [("data.tar.gz", "data.tar", true), ("data_0001.tar.gz", "data_0001.tar", true),
                                 ("16385.tar", "16385.tar", false)] {
            let bytes = try fx.tar(tar)
            let stored = gzip ? try Self.gzip(bytes) : bytes
            try await fx.put(id, key, stored)
            files.append(.init(key: key, sha256: Self.sha256(bytes), tarBytes: bytes.count, storedBytes: stored.count))
        }
        try await fx.put(id, BackupManifest.fileName, Array(BackupManifest(files: files).json.utf8))

        let out = fx.dir.path + "/restored"
        let config = RecoveryConfig(
            restoreCommandPrefix: ["/opt/cloud wal/cloud-wal", "wal-restore", "file:///arch", "pg1"],
            target: .time(try Timestamp(parsing: "2026-01-01 13:00:00+00:00")), timeline: .latest, action: .promote)
        let outcome = try await fx.restorer.restore(
            RestoreRequest(backupID: "latest", recoveryDirectory: out, tablespaceLocations: ["ts1": relocated],
                           recoveryConfig: config))
        #expect(outcome.backupID == id)
        #expect(outcome.verifiedByManifest)
        let fm = FileManager.default
        #expect(try TarTool.read(out + "/base/big") == Array(repeating: Array(0...255), count: 4000).flatMap { $0 })
        #expect(try TarTool.read(out + "/global/pg_control") == Array(String(repeating: "control", count: 100).utf8))
        #expect(try fm.destinationOfSymbolicLink(atPath: out + "/pg_tblspc/16385") == relocated)
        #expect(try TarTool.read(relocated + "/PG_15_202209061/x") == Array("tablespace data".utf8))
        #expect(!fm.fileExists(atPath: location))
        #expect(fm.fileExists(atPath: out + "/pg_wal/archive_status"))
        #expect(fm.fileExists(atPath: out + "/recovery.signal"))
        #expect(!fm.fileExists(atPath: out + "/standby.signal"))
        #expect((try fm.attributesOfItem(atPath: out)[.posixPermissions] as? Int) == 0o700)
        let conf = String(decoding: try TarTool.read(out + "/postgresql.auto.conf"), as: UTF8.self)
        #expect(conf.contains("# restore_command = 'old'"))
        #expect(conf.contains("# recovery_target_name = 'x'"))
        #expect(conf.contains("\nwork_mem = '4MB'\n"))
        #expect(conf.contains("\nrestore_command = '''/opt/cloud wal/cloud-wal'' wal-restore file:///arch pg1 %f %p'\n"))
        #expect(conf.contains("\nrecovery_target_time = '2026-01-01 13:00:00+00:00'\n"))
        #expect(conf.contains("\nrecovery_target_timeline = 'latest'\n"))
        #expect(conf.contains("\nrecovery_target_action = 'promote'\n"))
    }

    @Test("A manifest mismatch fails the restore", arguments: ["sha", "size", "stored", "missing-part", "unlisted"])
    func manifestMismatch(kind: String) async throws {
        let fx = try Fixture(tars: Self.dataScript)
        defer { fx.dir.remove() }
        let id = "20260101T120000"
        try await fx.putInfo(id)
        let data = try fx.tar("data.tar")
        let part = try fx.tar("data_0001.tar")
        try await fx.put(id, "data.tar", data)
        if kind != "missing-part" { try await fx.put(id, "data_0001.tar", part) }
        var files = [
            BackupManifest.File(
                key: "data.tar", sha256: kind == "sha" ? String(repeating: "0", count: 64) : Self.sha256(data),
                tarBytes: kind == "size" ? data.count + 512 : data.count,
                storedBytes: kind == "stored" ? data.count - 1 : data.count),
        ]
        if kind != "unlisted" {
            files.append(.init(key: "data_0001.tar", sha256: Self.sha256(part), tarBytes: part.count, storedBytes: part.count))
        }
        try await fx.put(id, BackupManifest.fileName, Array(BackupManifest(files: files).json.utf8))
        await #expect(throws: BackupError.self) {
            _ = try await fx.restorer.restore(RestoreRequest(backupID: id, recoveryDirectory: fx.dir.path + "/out"))
        }
        #expect(!FileManager.default.fileExists(atPath: fx.dir.path + "/out/pg_wal"))
    }

    @Test("A continuous tar stream cut into parts mid-member restores too")
    func continuousSplit() async throws {
        let fx = try Fixture(tars: Self.dataScript)
        defer { fx.dir.remove() }
        let id = "20260101T120000"
        try await fx.putInfo(id)
        let data = try fx.tar("data.tar")
        try await fx.put(id, "data.tar.gz", try Self.gzip(Array(data[..<5000])))
        try await fx.put(id, "data_0001.tar.gz", try Self.gzip(Array(data[5000...])))
        _ = try await fx.restorer.restore(RestoreRequest(backupID: id, recoveryDirectory: fx.dir.path + "/out"))
        #expect(try TarTool.read(fx.dir.path + "/out/base/big").count == 256 * 4000)
        #expect(!FileManager.default.fileExists(atPath: fx.dir.path + "/out/recovery.signal"))
    }

    @Test("Refusals: non-empty destination, unknown backup, FAILED backup, truncated tar")
    func refusals() async throws {
        let fx = try Fixture(tars: Self.dataScript)
        defer { fx.dir.remove() }
        try await fx.putBackup("20260101T120000")
        try await fx.putBackup("20260102T120000", status: .failed)
        try await fx.putBackup("20260103T120000", data: Array(try fx.tar("data.tar").prefix(3000)))

        let full = fx.dir.path + "/full"
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: full + "/keep"))
        func kind(_ id: String, _ dir: String) async -> BackupError.Kind? {
            do {
                _ = try await fx.restorer.restore(RestoreRequest(backupID: id, recoveryDirectory: dir))
                return nil
            } catch let error as BackupError {
                return error.kind
            } catch {
                return nil
            }
        }
        #expect(await kind("20260101T120000", full) == .refused)
        #expect(try FileManager.default.contentsOfDirectory(atPath: full) == ["keep"])
        #expect(await kind("20250101T000000", fx.dir.path + "/a") == .notFound)
        #expect(await kind("20260102T120000", fx.dir.path + "/b") == .refused)
        #expect(await kind("20260103T120000", fx.dir.path + "/c") == .corrupt)
        #expect(!FileManager.default.fileExists(atPath: fx.dir.path + "/a"))
    }

    @Test("auto with --target-tli latest takes the newest timeline in the WAL archive")
    func autoLatestTimeline() async throws {
        let fx = try Fixture(tars: Self.dataScript)
        defer { fx.dir.remove() }
        try await fx.putBackup("20260101T120000", timeline: 2)
        try await fx.putInfo("20260102T120000", timeline: 1)
        for key in ["wals/00000002.history", "wals/0000000100000000/000000010000000000000003.gz"] {
            _ = try await fx.store.put(fx.layout.serverPrefix + "/" + key, body: [1], options: PutOptions())
        }
        let outcome = try await fx.restorer.restore(
            RestoreRequest(backupID: "auto", recoveryDirectory: fx.dir.path + "/out", autoTimeline: .latest))
        #expect(outcome.backupID == "20260101T120000")
        await #expect(throws: BackupError.self) {
            _ = try await fx.restorer.restore(
                RestoreRequest(backupID: "auto", recoveryDirectory: fx.dir.path + "/out2", autoTimeline: .number(3)))
        }
    }

    @Test("auto picks the newest DONE backup that ended before the target")
    func autoSelection() throws {
        func info(_ id: String, _ end: String, _ lsn: String, tli: Int = 1, status: BackupInfo.Status = .done) throws -> BackupInfo {
            var info = BackupInfo(backupID: id)
            info.status = status
            info.endTime = try Timestamp(parsing: end)
            info.endXLOG = lsn
            info.timeline = tli
            return info
        }
        let infos = [
            try info("20260101T000000", "2026-01-01 00:10:00+00:00", "0/3000000"),
            try info("20260102T000000", "2026-01-02 00:10:00+00:00", "0/5000000"),
            try info("20260103T000000", "2026-01-03 00:10:00+00:00", "0/7000000", status: .failed),
            try info("20260104T000000", "2026-01-04 00:10:00+00:00", "1/0", tli: 2),
        ]
        func pick(_ criterion: BackupAutoSelection.Criterion, _ tli: Int? = nil) -> String? {
            BackupAutoSelection.choose(from: infos, criterion: criterion, timeline: tli)?.backupID
        }
        #expect(pick(.latest) == "20260104T000000")
        #expect(pick(.latest, 1) == "20260102T000000")
        #expect(pick(.time(try Timestamp(parsing: "2026-01-02 00:10:00+00:00"))) == "20260102T000000")
        #expect(pick(.time(try Timestamp(parsing: "2026-01-03 12:00:00+00:00"))) == "20260102T000000")
        #expect(pick(.time(try Timestamp(parsing: "2026-01-01 00:09:59+00:00"))) == nil)
        #expect(pick(.lsn(LSN("0/4FFFFFF")!)) == "20260101T000000")
        #expect(pick(.lsn(LSN("2/0")!)) == "20260104T000000")
        #expect(pick(.lsn(LSN("2/0")!), 1) == "20260102T000000")
        #expect(LSN("16/B374D848")?.description == "16/B374D848")
        #expect(LSN("x/1") == nil)
    }

    @Test("restore_command quoting: % for PostgreSQL, words for sh, the config string")
    func quoting() throws {
        let config = RecoveryConfig(restoreCommandPrefix: [
            "/usr/bin/cloud-wal", "wal-restore", "--endpoint-url", "http://h:1/a b", "s3://b/100%/it's", "pg\\1",
        ])
        let command = try config.restoreCommand()
        #expect(command == #"/usr/bin/cloud-wal wal-restore --endpoint-url 'http://h:1/a b' 's3://b/100%%/it'\''s' 'pg\1' %f %p"#)
        #expect(try RecoveryConfig.configString(command)
                    == #"'/usr/bin/cloud-wal wal-restore --endpoint-url ''http://h:1/a b'' ''s3://b/100%%/it''\\''''s'' ''pg\\1'' %f %p'"#)
        #expect(throws: BackupError.self) { try RecoveryConfig.shellWord("a\nb") }
        // What sh makes of it once PostgreSQL has substituted %f/%p and collapsed %%.
        let substituted = command.replacingOccurrences(of: "%%", with: "%").replacingOccurrences(of: "%f", with: "F")
            .replacingOccurrences(of: "%p", with: "P")
        let words = try TarTool.run("/bin/sh", ["-c", "printf '%s\\n' " + substituted.dropFirst("/usr/bin/cloud-wal ".count)])
        #expect(words == "wal-restore\n--endpoint-url\nhttp://h:1/a b\ns3://b/100%/it's\npg\\1\nF\nP\n")
    }
}
