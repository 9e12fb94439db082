import Foundation
import Testing

/// Point-in-time recovery with our tools only, on a real PostgreSQL 15, on `file://` and on S3
/// (moto): WAL archived by `cloud-wal-archive`, a base backup taken by `cloud-wal backup` while
/// pgbench writes, a target time between two committed batches, then `cloud-wal restore auto`
/// with `--recovery-target-time` into a new directory. The restored cluster starts as it is and
/// must hold exactly the rows committed before the target.
@Suite("Point-in-time recovery", .serialized, .motoServer)
struct PointInTimeRecoveryTests {
    static let server = "pg1"

    @Test("backup during pgbench, restore to a time between two batches", arguments: ["file", "s3"])
    func restoresExactlyToTheTarget(backend: String) async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let target = backend == "file" ? try BackupTarget.file() : try await BackupTarget.s3("pitr")
        defer { target.cleanup() }
        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on",
            "archive_command": target.shellCommand(binary.archiveCommand) + " --zstd \(target.url) \(Self.server) %p",
        ])
        try await withCleanup(of: primary) { primary in
            try await primary.pgbenchInit(scale: 2)
            try await primary.psql("create table marks (n int primary key, at timestamptz not null default clock_timestamp())")

            // The backup runs while pgbench writes: recovery must make the fuzzy copy consistent.
            async let load = primary.pgbench(seconds: 6, clients: 2)
            let backup = try await binary.run(
                ["backup", "--immediate-checkpoint", "--lz4", "-n", "pitr-base"] + target.cliOptions
                    + (await primary.connectionArguments) + [target.url, Self.server],
                env: target.environment, timeout: .seconds(180))
            _ = try await load
            #expect(backup.status == 0, "backup: \(backup.stderr)")
            try #require(backup.status == 0)

            // Batch one commits row by row; the target lies after it, batch two after the target.
            for n in 1...40 { try await primary.psql("insert into marks (n) values (\(n))") }
            let expectedAccounts = try await primary.psql("select count(*), sum(abalance) from pgbench_accounts")
            let expectedHistory = try await primary.psql("select count(*) from pgbench_history")
            try await Task.sleep(for: .milliseconds(300))
            let targetTime = try await primary.psql("select clock_timestamp()")
            try await Task.sleep(for: .milliseconds(300))
            for n in 41...80 { try await primary.psql("insert into marks (n) values (\(n))") }
            try await primary.psql("update pgbench_accounts set abalance = abalance + 1 where aid <= 1000")
            let last = try await primary.switchWAL()
            let stats = try await primary.waitForArchiver(upTo: last, timeout: .seconds(60))
            #expect(stats.failedCount == 0)

            let restoreRoot = try TempDirectory.make(prefix: "cloudwal-pitr", ownedByServer: false)
            defer { restoreRoot.remove() }
            let dataDir = restoreRoot.path + "/data"
            let restored = try await binary.run(
                ["restore"] + target.cliOptions
                    + [target.url, Self.server, "auto", dataDir, "--recovery-target-time", targetTime,
                       "--recovery-target-action", "promote"],
                env: target.environment, timeout: .seconds(180))
            #expect(restored.status == 0, "restore: \(restored.stderr)")
            try #require(restored.status == 0)
            #expect(FileManager.default.fileExists(atPath: dataDir + "/recovery.signal"))
            let autoConf = (try? String(contentsOfFile: dataDir + "/postgresql.auto.conf", encoding: .utf8)) ?? ""
            #expect(autoConf.contains("restore_command"), "\(autoConf)")
            #expect(autoConf.contains("recovery_target_time"), "\(autoConf)")

            // Started as restored: only the port and socket come from the harness (and, for S3, the
            // credentials in the server's environment, as an operator's unit file would give them).
            let replica = try await PostgresCluster.startRestored(
                directory: dataDir, environment: target.environment, promote: true)
            try await withCleanup(of: replica) { replica in
                let marks = try await replica.psql("select count(*), min(n), max(n) from marks")
                let accounts = try await replica.psql("select count(*), sum(abalance) from pgbench_accounts")
                let history = try await replica.psql("select count(*) from pgbench_history")
                let timeline = try await replica.psql("select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")
                #expect(marks == "40|1|40", "rows committed before the target, and none after")
                #expect(accounts == expectedAccounts)
                #expect(history == expectedHistory)
                #expect(timeline == "00000002", "promotion after the target starts a new timeline")
            }
        }
    }
}
