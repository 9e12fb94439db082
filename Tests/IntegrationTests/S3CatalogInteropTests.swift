import Foundation
import Testing

/// The catalog commands against barman-cloud 3.19.1 on the same bucket (moto): a backup taken by
/// the real `barman-cloud-backup` from a running PostgreSQL is listed and shown by us exactly as
/// barman-cloud lists and shows it, keeps set by either tool are seen by the other, our deletes
/// and retention remove what barman-cloud would, and check-wal-archive agrees.
@Suite("catalog commands interoperate with barman-cloud over S3 (moto)", .serialized, .motoServer)
struct S3CatalogInteropTests {
    static let server = "pg1"

    /// One bucket, our binary, and the barman-cloud tools, all pointed at the suite's moto.
    struct Fixture {
        let moto: MotoServer
        let binary: TestBinary
        let bucket: String
        var url: String { "s3://\(bucket)/catalog" }

        static func make(_ hint: String, createBucket: Bool = true) async throws -> Fixture {
            let moto = try MotoServer.shared()
            let binary = try TestBinary.prepare()
            let fixture = Fixture(moto: moto, binary: binary, bucket: moto.uniqueBucketName(hint))
            if createBucket {
                do { try await moto.createBucket(fixture.bucket) } catch { binary.cleanup(); throw error }
            }
            return fixture
        }

        func cleanup() { binary.cleanup() }

        /// `cloud-wal <command> --endpoint-url <moto> <args...>`.
        func ours(_ command: String, _ args: [String], url: String? = nil) async throws -> ProcessResult {
            try await binary.run([command, "--endpoint-url", moto.endpoint, url ?? self.url, S3CatalogInteropTests.server] + args,
                                 env: moto.environment, timeout: .seconds(120))
        }

        /// `barman-cloud-<command> --endpoint-url <moto> <args...>`.
        func barman(_ command: String, _ args: [String], url: String? = nil) async throws -> ProcessResult {
            try await ProcessRunner.run(
                try TestVenv.tool("barman-cloud-" + command),
                ["--endpoint-url", moto.endpoint, url ?? self.url, S3CatalogInteropTests.server] + args,
                environment: moto.environment, timeout: .seconds(300))
        }

        /// Runs barman-cloud-backup against `cluster` and returns the new backup's id.
        func barmanBackup(_ cluster: PostgresCluster, name: String? = nil) async throws -> String {
            let before = Set(try await backupIDs())
            let port = await cluster.port
            let result = try await ProcessRunner.run(
                try TestVenv.tool("barman-cloud-backup"),
                ["--endpoint-url", moto.endpoint, "-h", "127.0.0.1", "-p", String(port), "-U", "postgres",
                 "--immediate-checkpoint"] + (name.map { ["-n", $0] } ?? []) + [url, S3CatalogInteropTests.server],
                environment: moto.environment, timeout: .seconds(300))
            guard result.succeeded else {
                throw HarnessError("barman-cloud-backup exited \(result.status): \(lastLines(result.stderr, lines: 15))")
            }
            let added = Set(try await backupIDs()).subtracting(before)
            guard added.count == 1, let id = added.first else { throw HarnessError("expected one new backup, found \(added)") }
            return id
        }

        /// Backup ids as barman-cloud-backup-list --format json reports them.
        func backupIDs() async throws -> [String] {
            let result = try await barman("backup-list", ["--format", "json"])
            guard result.succeeded else { throw HarnessError("barman-cloud-backup-list: \(result.stderr)") }
            let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let list = document?["backups_list"] as? [[String: Any]] ?? []
            return list.compactMap { $0["backup_id"] as? String }
        }

        func keys() async throws -> Set<String> { Set(try await moto.keys(bucket: bucket)) }

        /// Archives fake segments with barman-cloud-wal-archive (the catalog only looks at names).
        func archiveFakeWAL(_ names: [String]) async throws {
            let dir = try TempDirectory.make(prefix: "cloudwal-fakewal", ownedByServer: false)
            defer { dir.remove() }
            let barman = try BarmanCloud(server: moto)
            for name in names {
                let path = dir.path + "/" + name
                try Data(name.utf8).write(to: URL(fileURLWithPath: path))
                try await barman.checkedArchive(url: url, serverName: S3CatalogInteropTests.server, walPath: path)
            }
        }
    }

    /// A running cluster with a little data, stopped and removed after `body` whatever happens.
    static func withCluster(_ body: (PostgresCluster) async throws -> Void) async throws {
        let cluster = try await PostgresCluster.start()
        do {
            _ = try await cluster.psql("create table t(i int); insert into t select generate_series(1, 1000)")
            try await body(cluster)
        } catch {
            await cluster.cleanup()
            throw error
        }
        await cluster.cleanup()
    }

    // MARK: - list and show

    @Test func ourListAndShowPrintExactlyWhatBarmanPrintsForItsBackup() async throws {
        let fx = try await Fixture.make("list")
        defer { fx.cleanup() }
        var backup: String?
        try await Self.withCluster { backup = try await fx.barmanBackup($0, name: "nightly") }
        let id = try #require(backup)

        for format in ["console", "json"] {
            let theirs = try await fx.barman("backup-list", ["--format", format])
            let ours = try await fx.ours("backup-list", ["--format", format])
            #expect(theirs.status == 0 && ours.status == 0, "\(theirs.stderr) \(ours.stderr)")
            #expect(ours.stdout == theirs.stdout, "backup-list --format \(format)")
            #expect(ours.stdout.contains(id))
        }
        for requested in [id, "latest", "nightly"] {
            for format in ["console", "json"] {
                let theirs = try await fx.barman("backup-show", [requested, "--format", format])
                let ours = try await fx.ours("backup-show", [requested, "--format", format])
                #expect(theirs.status == 0 && ours.status == 0, "\(theirs.stderr) \(ours.stderr)")
                #expect(ours.stdout == theirs.stdout, "backup-show \(requested) --format \(format)")
            }
        }
        // Our JSON carries the fields barman's does, with the same values.
        let json = try await fx.ours("backup-show", [id, "--format", "json"])
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: [String: Any]]
        let info = try #require(document?["cloud"])
        #expect(info["backup_id"] as? String == id)
        #expect(info["status"] as? String == "DONE")
        #expect(info["backup_name"] as? String == "nightly")
        #expect((info["begin_wal"] as? String)?.count == 24)

        let missing = try await fx.ours("backup-show", ["20000101T000000"])
        let barmanMissing = try await fx.barman("backup-show", ["20000101T000000"])
        #expect(missing.status == 1 && barmanMissing.status == 1)
        // An unknown name: barman-cloud says 4 (its ValueError), we say 1 like an unknown id (README).
        #expect(try await fx.barman("backup-show", ["no-such-name"]).status == 4)
        #expect(try await fx.ours("backup-show", ["no-such-name"]).status == 1)
        // Deleting an id that names no backup is no error for either tool, and deletes nothing.
        let keysBefore = try await fx.keys()
        #expect(try await fx.barman("backup-delete", ["-b", "20000101T000000"]).status == 0)
        #expect(try await fx.ours("backup-delete", ["-b", "20000101T000000"]).status == 0)
        #expect(try await fx.keys() == keysBefore)
    }

    /// Our own `backup` (split tars and its manifest) through both catalogs: the same listing and
    /// details from both tools, and our delete removes every object of it.
    @Test func ourBackupIsListedAlikeAndDeletedWhole() async throws {
        let fx = try await Fixture.make("ours")
        defer { fx.cleanup() }
        var backupID = ""
        try await Self.withCluster { cluster in
            let backup = try await fx.binary.run(
                ["backup", "--endpoint-url", fx.moto.endpoint, "--immediate-checkpoint", "--max-archive-size", "2MB",
                 "-n", "ours"] + (await cluster.connectionArguments) + [fx.url, Self.server],
                env: fx.moto.environment, timeout: .seconds(180))
            #expect(backup.status == 0, "backup: \(backup.stderr)")
            backupID = backup.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try #require(backupID.count == 15 && backupID.dropFirst(8).first == "T", "backup id '\(backupID)'")
        for args in [["backup-list", "--format", "console"], ["backup-list", "--format", "json"],
                     ["backup-show", "ours", "--format", "console"], ["backup-show", backupID, "--format", "json"]] {
            let theirs = try await fx.barman(args[0], Array(args.dropFirst()))
            let ours = try await fx.ours(args[0], Array(args.dropFirst()))
            #expect(theirs.status == 0 && ours.status == 0, "\(args): \(theirs.stderr) \(ours.stderr)")
            #expect(ours.stdout == theirs.stdout, "\(args)")
        }
        let folder = "catalog/\(Self.server)/base/\(backupID)/"
        let objects = try await fx.keys().filter { $0.hasPrefix(folder) }
        #expect(objects.count >= 4, "\(objects)")  // split tars, manifest, backup.info
        let deleted = try await fx.ours("backup-delete", ["-b", "ours"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(try await fx.keys().filter { $0.hasPrefix(folder) }.isEmpty)
        #expect(try await fx.backupIDs().isEmpty)
    }

    // MARK: - keep

    @Test func keepsSetByEitherToolAreSeenByTheOther() async throws {
        let fx = try await Fixture.make("keep")
        defer { fx.cleanup() }
        var backup: String?
        try await Self.withCluster { backup = try await fx.barmanBackup($0) }
        let id = try #require(backup)

        #expect(try await fx.ours("backup-keep", [id, "--target", "standalone"]).status == 0)
        #expect(try await fx.keys().contains("catalog/\(Self.server)/base/\(id)/annotations/keep"))
        #expect(try await fx.barman("backup-keep", [id, "--status"]).stdout == "Keep: standalone\n")
        let list = try await fx.barman("backup-list", [])
        #expect(list.stdout.contains("KEEP:STANDALONE"))
        #expect(try await fx.ours("backup-list", []).stdout == list.stdout)

        // A kept backup cannot be deleted, by either tool.
        #expect(try await fx.ours("backup-delete", ["-b", id]).status == 1)
        #expect(try await fx.barman("backup-delete", ["-b", id]).status == 1)
        #expect(try await fx.backupIDs() == [id])

        #expect(try await fx.barman("backup-keep", [id, "--release"]).status == 0)
        #expect(try await fx.ours("backup-keep", [id, "--status"]).stdout == "Keep: nokeep\n")
        #expect(try await fx.barman("backup-keep", [id, "--target", "full"]).status == 0)
        #expect(try await fx.ours("backup-keep", [id, "-s"]).stdout == "Keep: full\n")
        #expect(try await fx.ours("backup-keep", [id, "-r"]).status == 0)
        #expect(try await fx.barman("backup-keep", [id, "-s"]).stdout == "Keep: nokeep\n")
    }

    // MARK: - delete and retention

    @Test func retentionDeletesWhatBarmanWouldAndBarmanSeesTheResult() async throws {
        let fx = try await Fixture.make("delete")
        defer { fx.cleanup() }
        var ids: [String] = []
        try await Self.withCluster { cluster in
            ids.append(try await fx.barmanBackup(cluster))
            _ = try await cluster.psql("insert into t select generate_series(1, 1000); select pg_switch_wal()")
            try await Task.sleep(for: .seconds(1.1))  // backup ids are timestamps to the second
            ids.append(try await fx.barmanBackup(cluster))
        }
        try #require(ids.count == 2)
        let (first, second) = (ids[0], ids[1])
        // WAL names around both backups (the catalog rules only look at names): every segment
        // from timeline 1's start to past the second backup, and a .history file.
        let showSecond = try await fx.ours("backup-show", [second, "--format", "json"])
        let secondInfo = try JSONSerialization.jsonObject(with: Data(showSecond.stdout.utf8)) as? [String: [String: Any]]
        let secondEnd = try #require(secondInfo?["cloud"]?["end_wal"] as? String)
        let lastSegment = try #require(UInt32(secondEnd.suffix(8), radix: 16))
        let names = (1...(lastSegment + 2)).map { String(format: "00000001000000000000%04X", $0) } + ["00000002.history"]
        try await fx.archiveFakeWAL(names)
        let before = try await fx.keys()

        // Dry runs: the same report from both tools, and nothing deleted.
        for args in [["-r", "REDUNDANCY 1", "--dry-run"], ["-b", "oldest", "--dry-run"], ["-r", "RECOVERY WINDOW OF 1 DAYS", "--dry-run"]] {
            let theirs = try await fx.barman("backup-delete", args)
            let ours = try await fx.ours("backup-delete", args)
            #expect(theirs.status == 0 && ours.status == 0, "\(args): \(theirs.stderr) \(ours.stderr)")
            #expect(ours.stdout == theirs.stdout, "backup-delete \(args)")
        }
        #expect(try await fx.keys() == before)
        let report = try await fx.barman("backup-delete", ["-r", "REDUNDANCY 1", "--dry-run"]).stdout
        #expect(report.contains("base/\(first)/backup.info"))

        // The real run leaves exactly what barman's dry run said it would.
        let deleted = try await fx.ours("backup-delete", ["-r", "REDUNDANCY 1"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(try await fx.keys() == Self.remaining(before, afterDryRun: report))
        #expect(try await fx.backupIDs() == [second])
        #expect(try await fx.keys().contains("catalog/\(Self.server)/wals/00000002.history"))

        // Deleting the last backup by id: barman no longer lists anything.
        let last = try await fx.ours("backup-delete", ["-b", second])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(try await fx.backupIDs().isEmpty)
        #expect(try await fx.keys().allSatisfy { !$0.hasPrefix("catalog/\(Self.server)/base/") })

        // Bad input, as barman-cloud: an invalid policy is exit 3 for both.
        #expect(try await fx.ours("backup-delete", ["-r", "REDUNDANCY many"]).status == 3)
        #expect(try await fx.barman("backup-delete", ["-r", "REDUNDANCY many"]).status == 3)
    }

    /// `before` minus what a dry-run report names: single objects and whole prefixes.
    static func remaining(_ before: Set<String>, afterDryRun report: String) -> Set<String> {
        var gone = Set<String>()
        var prefixes: [String] = []
        for line in report.split(separator: "\n") {
            if line.hasPrefix("Skipping deletion of all objects under prefix ") {
                let rest = line.dropFirst("Skipping deletion of all objects under prefix ".count)
                prefixes.append(String(rest.prefix { $0 != " " }))
            } else if let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") {
                for item in line[line.index(after: open)..<close].split(separator: ",") {
                    gone.insert(item.trimmingCharacters(in: CharacterSet(charactersIn: " '")))
                }
            }
        }
        return before.filter { key in !gone.contains(key) && !prefixes.contains { key.hasPrefix($0) } }
    }

    // MARK: - check-wal-archive

    @Test func checkWALArchiveAgreesWithBarman() async throws {
        let fx = try await Fixture.make("check")
        defer { fx.cleanup() }
        func both(_ args: [String]) async throws -> (ours: Int32, theirs: Int32) {
            let ours = try await fx.ours("check-wal-archive", args)
            let theirs = try await fx.barman("check-wal-archive", args)
            return (ours.status, theirs.status)
        }
        var codes = try await both([])
        #expect(codes == (0, 0), "empty archive")
        try await fx.archiveFakeWAL(["000000010000000000000001", "000000020000000000000002", "00000002.history"])
        codes = try await both([])
        #expect(codes == (1, 1), "non-empty archive")
        codes = try await both(["--timeline", "3"])
        #expect(codes == (0, 0), "only older timelines")
        codes = try await both(["--timeline", "2"])
        #expect(codes == (1, 1), "files on timeline 2")
        codes = try await both(["--timeline", "0"])
        #expect(codes == (3, 3), "timeline must be positive")

        // A bucket that does not exist: both pass (barman creates it; we do not).
        let missing = try await Fixture.make("check-missing", createBucket: false)
        defer { missing.cleanup() }
        let ours = try await missing.ours("check-wal-archive", [])
        #expect(ours.status == 0, "\(ours.stderr)")
        let theirs = try await missing.barman("check-wal-archive", [])
        #expect(theirs.status == 0, "\(theirs.stderr)")

        // A dead endpoint is a connection failure (2) for both.
        let dead = try await ProcessRunner.run(
            fx.binary.path, ["check-wal-archive", "--endpoint-url", "http://127.0.0.1:9", fx.url, Self.server],
            environment: fx.moto.environment, timeout: .seconds(120))
        #expect(dead.status == 2, "\(dead.stderr)")
    }
}
