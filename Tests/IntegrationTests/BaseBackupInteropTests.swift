import Foundation
import Testing

/// Our `backup` against a real PostgreSQL 15 on S3 (moto), read by barman-cloud 3.19.1:
/// `barman-cloud-backup-list` lists it and `barman-cloud-restore` unpacks it into a cluster
/// that recovers through our `wal-restore` to the primary's rows.
@Suite("Base backups read by barman-cloud (S3, moto)", .serialized, .motoServer)
struct BaseBackupInteropTests {
    static let server = "pg1"

    @Test("cloud-wal backup → barman-cloud-restore", arguments: [
        // Uncompressed and split at 8 MB, so every tar is several S3 multipart parts and the
        // data tar is several objects; then gzip in one object.
        ["--max-archive-size", "8MB", "-J", "3"],
        ["--gzip"],
    ])
    func barmanRestoresOurBackup(backupOptions: [String]) async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let target = try await BackupTarget.s3("bb")
        defer { target.cleanup() }
        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on",
            "archive_command": target.shellCommand(binary.archiveCommand) + " \(target.url) \(Self.server) %p",
        ])
        try await withCleanup(of: primary) { primary in
            try await primary.pgbenchInit(scale: 3)
            let backup = try await binary.run(
                ["backup", "--immediate-checkpoint"] + backupOptions + target.cliOptions
                    + (await primary.connectionArguments) + [target.url, Self.server],
                env: target.environment, timeout: .seconds(180))
            #expect(backup.status == 0, "backup: \(backup.stderr)")
            try #require(backup.status == 0)
            let backupID = backup.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(backupID.count == 15 && backupID.dropFirst(8).first == "T", "backup id '\(backupID)'")

            let keys = try await MotoServer.shared().keys(
                bucket: try #require(target.bucket), prefix: "cluster/\(Self.server)/base/\(backupID)/")
            let tars = keys.map { String($0.split(separator: "/").last ?? "") }.filter { $0.hasPrefix("data") }
            if backupOptions.contains("--gzip") {
                #expect(tars == ["data.tar.gz"])
            } else {
                #expect(tars.count >= 3 && tars.first == "data.tar" && tars.contains("data_0001.tar"), "\(tars)")
            }
            #expect(keys.contains { $0.hasSuffix("/backup.info") } && keys.contains { $0.hasSuffix("/cloudwal-manifest.json") })

            // Work after the backup that only WAL replay can bring back.
            try await primary.psql("create table after_backup as select generate_series(1, 4321) as n")
            let accounts = try await primary.psql("select count(*), sum(abalance) from pgbench_accounts")
            let last = try await primary.switchWAL()
            let stats = try await primary.waitForArchiver(upTo: last, timeout: .seconds(60))
            #expect(stats.failedCount == 0)

            let barmanOptions = ["--endpoint-url", try MotoServer.shared().endpoint]
            let list = try await ProcessRunner.run(
                try TestVenv.tool("barman-cloud-backup-list"),
                barmanOptions + ["--format", "json", target.url, Self.server], environment: target.environment,
                timeout: .seconds(60))
            #expect(list.status == 0, "barman-cloud-backup-list: \(list.stderr)")
            #expect(list.stdout.contains("\"backup_id\": \"\(backupID)\""), "\(list.stdout)")
            #expect(list.stdout.contains("\"status\": \"DONE\""), "\(list.stdout)")

            let restoreDir = try TempDirectory.make(prefix: "cloudwal-brestore", ownedByServer: false)
            defer { restoreDir.remove() }
            let dataDir = restoreDir.path + "/data"
            let restored = try await ProcessRunner.run(
                try TestVenv.tool("barman-cloud-restore"),
                barmanOptions + [target.url, Self.server, backupID, dataDir], environment: target.environment,
                timeout: .seconds(180))
            #expect(restored.status == 0, "barman-cloud-restore: \(restored.stderr)")
            try #require(restored.status == 0)
            #expect(FileManager.default.fileExists(atPath: dataDir + "/backup_label"))
            #expect(FileManager.default.fileExists(atPath: dataDir + "/global/pg_control"))
            #expect(!FileManager.default.fileExists(atPath: dataDir + "/postmaster.pid"))

            #expect(FileManager.default.createFile(atPath: dataDir + "/recovery.signal", contents: Data()))
            let replica = try await PostgresCluster.startRestored(directory: dataDir, settings: [
                "restore_command": target.shellCommand(binary.restoreCommand) + " \(target.url) \(Self.server) %f %p",
                "recovery_target_action": "promote",
            ])
            try await withCleanup(of: replica) { replica in
                let restoredAccounts = try await replica.psql("select count(*), sum(abalance) from pgbench_accounts")
                let afterBackup = try await replica.psql("select count(*), sum(n) from after_backup")
                #expect(restoredAccounts == accounts)
                #expect(afterBackup == "4321|9337681")
            }
        }
    }
}
