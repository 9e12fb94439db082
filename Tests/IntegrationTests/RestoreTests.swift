import Foundation
import Testing

/// `cloud-wal restore` end to end: PostgreSQL archives WAL through our `cloud-wal-archive` into
/// moto, the real `barman-cloud-backup` takes the base backup, rows are written after it, and our
/// restore (backup id `auto`, a recovery target) produces a data directory that PostgreSQL starts
/// on and replays to exactly the target, with no hand edits.
///
/// Serialized: each case runs two servers, moto and barman on a two-core machine.
@Suite("cloud-wal restore", .serialized, .motoServer)
struct RestoreTests {
    static let server = "pg1"

    struct Scenario: Sendable, CustomTestStringConvertible {
        let name: String
        let backupOptions: [String]
        let action: String?
        var testDescription: String { name }
    }

    @Test("barman-cloud-backup, then restore to a target time and replay", arguments: [
        Scenario(name: "uncompressed, default action (pause)", backupOptions: [], action: nil),
        Scenario(name: "gzip, promote", backupOptions: ["--gzip"], action: "promote"),
    ])
    func pointInTimeRestore(scenario: Scenario) async throws {
        let moto = try MotoServer.shared()
        let bucket = try await moto.makeBucket("restore")
        let url = "s3://\(bucket)/cluster"
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }

        // PostgreSQL's environment carries no credentials here, so archive_command sets them.
        let env = moto.environment.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        let archiveCommand = "/usr/bin/env \(env) \(binary.archiveCommand) --endpoint-url \(moto.endpoint) \(url) \(Self.server) %p"
        let primary = try await PostgresCluster.start(settings: ["archive_mode": "on", "archive_command": archiveCommand])
        try await withCleanup(of: primary) { primary in
            try await primary.psql("create table t (i int primary key, note text)")
            try await primary.psql("insert into t select g, 'before backup' from generate_series(1, 100) g")
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))

            let port = try await primary.psql("show port")
            let backup = try await ProcessRunner.run(
                try TestVenv.tool("barman-cloud-backup"),
                ["--endpoint-url", moto.endpoint, "-h", "127.0.0.1", "-p", port, "-U", "postgres"]
                    + scenario.backupOptions + [url, Self.server],
                environment: moto.environment, timeout: .seconds(180))
            try #require(backup.succeeded, "barman-cloud-backup: \(lastLines(backup.stderr))")

            try await primary.psql("insert into t select g, 'after backup' from generate_series(101, 200) g")
            let target = try await primary.psql(
                "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00'")
            try await Task.sleep(for: .milliseconds(50))
            try await primary.psql("insert into t select g, 'after target' from generate_series(201, 300) g")
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))

            let root = try TempDirectory.make(prefix: "cloudwal-restore")
            defer { root.remove() }
            let dataDir = root.path + "/data"
            var args = ["restore", "--endpoint-url", moto.endpoint, url, Self.server, "auto", dataDir,
                        "--recovery-target-time", target]
            if let action = scenario.action { args += ["--recovery-target-action", action] }
            let restore = try await binary.run(args, env: moto.environment, timeout: .seconds(180))
            try #require(restore.succeeded, "cloud-wal restore exited \(restore.status): \(restore.stderr)")

            let conf = try String(contentsOfFile: dataDir + "/postgresql.auto.conf", encoding: .utf8)
            #expect(conf.contains("restore_command = '\(binary.path) wal-restore --endpoint-url \(moto.endpoint) \(url) \(Self.server) %f %p'"))
            #expect(conf.contains("recovery_target_action = '\(scenario.action ?? "pause")'"))
            #expect(FileManager.default.fileExists(atPath: dataDir + "/recovery.signal"))
            #expect(FileManager.default.fileExists(atPath: dataDir + "/pg_wal/archive_status"))

            let restored = try RestoredServer(root: root.path, dataDir: dataDir, environment: moto.environment)
            do {
                try await restored.start()
                if scenario.action == "promote" {
                    try await restored.waitFor("select pg_is_in_recovery()", equals: "f")
                } else {
                    try await restored.waitFor("select pg_get_wal_replay_pause_state()", equals: "paused")
                }
                let rows = try await restored.psql("select count(*), min(i), max(i) from t")
                #expect(rows == "200|1|200", "server log:\n\(restored.logTail())")
                await restored.stop()
            } catch {
                await restored.stop()
                throw HarnessError("\(error)\n--- restored server log ---\n\(restored.logTail())")
            }
        }
    }

    @Test("Refusals: a non-empty directory and an unknown backup exit 1 with one line")
    func refusals() async throws {
        let moto = try MotoServer.shared()
        let bucket = try await moto.makeBucket("refuse")
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let dir = try TempDirectory.make(prefix: "cloudwal-refuse", ownedByServer: false)
        defer { dir.remove() }
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.path + "/keep"))

        let url = "s3://\(bucket)/p"
        let nonEmpty = try await binary.run(
            ["restore", "--endpoint-url", moto.endpoint, url, Self.server, "latest", dir.path], env: moto.environment)
        #expect(nonEmpty.status == 1)
        #expect(nonEmpty.stderr.split(separator: "\n").count == 1, "\(nonEmpty.stderr)")
        #expect(nonEmpty.stderr.contains("not empty"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["keep"])

        let unknown = try await binary.run(
            ["restore", "--endpoint-url", moto.endpoint, url, Self.server, "20200101T000000", dir.path + "/new"],
            env: moto.environment)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.split(separator: "\n").count == 1, "\(unknown.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/new"))

        let badTarget = try await binary.run(
            ["restore", url, Self.server, "auto", dir.path + "/new", "--recovery-target-time", "yesterday"],
            env: moto.environment)
        #expect(badTarget.status == 3)
    }
}

/// A PostgreSQL server started on a directory `cloud-wal restore` produced, as the server
/// account, with `environment` (the credentials restore_command needs) and its own port/socket.
private struct RestoredServer: Sendable {
    let root: String
    let dataDir: String
    let environment: [String: String]
    let port: Int

    init(root: String, dataDir: String, environment: [String: String]) throws {
        self.root = root
        self.dataDir = dataDir
        self.environment = environment
        port = try Network.freeLoopbackPort()
        // The primary's settings came with the backup: move port and socket, stop archiving.
        let extra = "\nport = \(port)\nunix_socket_directories = '\(root)'\narchive_mode = off\n"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDir + "/postgresql.conf"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(extra.utf8))
        try handle.close()
    }

    var logFile: String { root + "/restored.log" }

    private func pgCtl(_ args: [String], timeout: Duration) async throws -> ProcessResult {
        let account = ServerAccount.current
        let pgCtl = PostgresCluster.binDir + "/pg_ctl"
        let argv = account.commandPrefix.isEmpty ? [pgCtl] : account.commandPrefix + [pgCtl]
        return try await ProcessRunner.run(argv[0], Array(argv.dropFirst()) + ["-D", dataDir] + args,
                                           environment: environment, workingDirectory: root, timeout: timeout)
    }

    func start() async throws {
        if geteuid() == 0 { try ServerAccount.current.own(root) }
        let result = try await pgCtl(["-w", "-t", "90", "-l", logFile, "start"], timeout: .seconds(100))
        guard result.succeeded else { throw HarnessError("pg_ctl start failed: \(result.stdout)\(result.stderr)") }
    }

    func stop() async {
        _ = try? await pgCtl(["-m", "fast", "-w", "-t", "30", "stop"], timeout: .seconds(40))
    }

    func psql(_ sql: String) async throws -> String {
        let result = try await ProcessRunner.run(
            "/usr/bin/psql", ["-X", "-At", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-c", sql],
            timeout: .seconds(30))
        guard result.succeeded else { throw HarnessError("psql \(sql): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func waitFor(_ sql: String, equals expected: String) async throws {
        _ = try await waitUntil(timeout: .seconds(90), "\(sql) = \(expected)") {
            (try? await psql(sql)) == expected ? true : nil
        }
    }

    func logTail() -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "(no log)"
        return lastLines(text, lines: 40)
    }
}

/// A tablespace restored elsewhere with `--tablespace NAME:LOCATION`, recovery to the end of the
/// archive with `--recovery-conf`.
@Suite("cloud-wal restore with a tablespace", .serialized, .motoServer)
struct RestoreTablespaceTests {
    @Test("barman-cloud-backup of a cluster with a tablespace, relocated on restore")
    func relocatedTablespace() async throws {
        let moto = try MotoServer.shared()
        let bucket = try await moto.makeBucket("tblspc")
        let url = "s3://\(bucket)/c"
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let env = moto.environment.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        let archiveCommand = "/usr/bin/env \(env) \(binary.archiveCommand) --endpoint-url \(moto.endpoint) \(url) pg1 %p"
        let primary = try await PostgresCluster.start(settings: ["archive_mode": "on", "archive_command": archiveCommand])
        try await withCleanup(of: primary) { primary in
            let original = try await primary.scratchDirectory("ts")
            try await primary.psql("create tablespace ts1 location '\(original)'")
            try await primary.psql("create table t (i int) tablespace ts1")
            try await primary.psql("insert into t select generate_series(1, 500)")
            let port = try await primary.psql("show port")
            let backup = try await ProcessRunner.run(
                try TestVenv.tool("barman-cloud-backup"),
                ["--endpoint-url", moto.endpoint, "-h", "127.0.0.1", "-p", port, "-U", "postgres", "--gzip", url, "pg1"],
                environment: moto.environment, timeout: .seconds(180))
            try #require(backup.succeeded, "barman-cloud-backup: \(lastLines(backup.stderr))")
            try await primary.psql("insert into t select generate_series(501, 700)")
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))

            let root = try TempDirectory.make(prefix: "cloudwal-restore")
            defer { root.remove() }
            let dataDir = root.path + "/data"
            let relocated = root.path + "/ts-new"
            let restore = try await binary.run(
                ["restore", "--endpoint-url", moto.endpoint, url, "pg1", "latest", dataDir,
                 "--tablespace", "ts1:\(relocated)", "--recovery-conf"],
                env: moto.environment, timeout: .seconds(180))
            try #require(restore.succeeded, "cloud-wal restore exited \(restore.status): \(restore.stderr)")
            let oid = try await primary.psql("select oid from pg_tablespace where spcname = 'ts1'")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(dataDir)/pg_tblspc/\(oid)") == relocated)

            let restored = try RestoredServer(root: root.path, dataDir: dataDir, environment: moto.environment)
            do {
                try await restored.start()
                try await restored.waitFor("select pg_is_in_recovery()", equals: "f")
                #expect(try await restored.psql("select count(*), max(i) from t") == "700|700")
                #expect(try await restored.psql("select pg_tablespace_location(\(oid))") == relocated)
                await restored.stop()
            } catch {
                await restored.stop()
                throw HarnessError("\(error)\n--- restored server log ---\n\(restored.logTail())")
            }
        }
    }
}

/// Our own `backup`, split into several objects (each part of the data tar several multipart
/// parts) and with its manifest, restored by our `restore` and started without any fix-up by
/// the harness (no chown): ownership, split parts and the manifest check all on the real thing.
/// On moto and on SeaweedFS, which checks the SigV4 signature of every request, multipart parts
/// included.
@Suite("cloud-wal restore of a split cloud-wal backup", .serialized, .motoServer)
struct RestoreSplitBackupTests {
    @Test("cloud-wal backup --max-archive-size → cloud-wal restore --recovery-conf", arguments: ["moto", "seaweedfs"])
    func splitBackup(store: String) async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        try await BackupTarget.with(store, hint: "split") { try await splitBackup(binary: binary, target: $0) }
    }

    private func splitBackup(binary: TestBinary, target: BackupTarget) async throws {
        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on",
            "archive_command": target.shellCommand(binary.archiveCommand) + " \(target.url) pg1 %p",
        ])
        try await withCleanup(of: primary) { primary in
            try await primary.pgbenchInit(scale: 3)
            let backup = try await binary.run(
                ["backup", "--immediate-checkpoint", "--max-archive-size", "8MB", "-J", "3"] + target.cliOptions
                    + (await primary.connectionArguments) + [target.url, "pg1"],
                env: target.environment, timeout: .seconds(180))
            try #require(backup.status == 0, "backup: \(backup.stderr)")
            try await primary.psql("create table after_backup as select generate_series(1, 4321) as n")
            let accounts = try await primary.psql("select count(*), sum(abalance) from pgbench_accounts")
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))

            let root = try TempDirectory.make(prefix: "cloudwal-restore")
            defer { root.remove() }
            let dataDir = root.path + "/data"
            let restore = try await binary.run(
                ["restore", "-v"] + target.cliOptions + [target.url, "pg1", "latest", dataDir, "--recovery-conf"],
                env: target.environment, timeout: .seconds(180))
            try #require(restore.status == 0, "restore: \(restore.stderr)")
            #expect(restore.stderr.contains("verified against its manifest"), "\(restore.stderr)")

            // The same backup with one byte of a part's file content changed: the tar still parses,
            // only the manifest's SHA-256 can tell. Exit 1, and no recovery settings.
            let inspector = try #require(target.inspector)
            let bucket = try #require(target.bucket)
            let backupID = backup.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let partKey = "cluster/pg1/base/\(backupID)/data_0001.tar"
            var part = try #require(try await inspector.objectData(bucket: bucket, key: partKey))
            part[part.count / 2] ^= 0x01
            try await inspector.putObject(bucket: bucket, key: partKey, data: part)
            let tampered = try await binary.run(
                ["restore"] + target.cliOptions + [target.url, "pg1", "latest", root.path + "/tampered", "--recovery-conf"],
                env: target.environment, timeout: .seconds(180))
            #expect(tampered.status == 1, "\(tampered.stderr)")
            #expect(tampered.stderr.contains("SHA-256"), "\(tampered.stderr)")
            #expect(!FileManager.default.fileExists(atPath: root.path + "/tampered/recovery.signal"))

            let restored = try RestoredServer(root: root.path, dataDir: dataDir, environment: target.environment)
            do {
                try await restored.start()
                try await restored.waitFor("select pg_is_in_recovery()", equals: "f")
                #expect(try await restored.psql("select count(*), sum(abalance) from pgbench_accounts") == accounts)
                #expect(try await restored.psql("select count(*), sum(n) from after_backup") == "4321|9337681")
                await restored.stop()
            } catch {
                await restored.stop()
                throw HarnessError("\(error)\n--- restored server log ---\n\(restored.logTail())")
            }
        }
    }
}
