import Foundation
import Testing

/// A real PostgreSQL 15 recovers the same base backup twice from S3 (moto): once with a plain
/// `restore_command`, once with `-p 8`, where the background prefetcher keeps the next segments
/// in the spool. Both must reach exactly the primary's rows, and the prefetched run must really
/// have been served from the spool.
@Suite("Recovery with pipelined prefetch", .serialized, .motoServer)
struct PrefetchRecoveryTests {
    static let server = "pg1"

    @Test("a base backup recovers to the same rows with wal-restore -p 8 as without")
    func sameRowsWithAndWithoutPrefetch() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let target = try await BackupTarget.s3("prefetch")
        defer { target.cleanup() }
        let spool = try TempDirectory.make(prefix: "cloudwal-spool")
        defer { spool.remove() }
        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on",
            "archive_command": target.shellCommand(binary.archiveCommand) + " \(target.url) \(Self.server) %p",
        ])
        try await withCleanup(of: primary) { primary in
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))
            // Two copies of one starting point: every later change comes through restore_command.
            let backups = try await primary.scratchDirectory("backups")
            try await primary.basebackup(to: backups + "/plain", walMethod: .none)
            try await primary.basebackup(to: backups + "/prefetch", walMethod: .none)
            try await primary.pgbenchInit(scale: 5)
            var last = try await primary.switchWAL()
            for _ in 0..<3 {
                _ = try await primary.pgbench(transactions: 400, clients: 2)
                last = try await primary.switchWAL()
            }
            let stats = try await primary.waitForArchiver(upTo: last, timeout: .seconds(90))
            #expect(stats.failedCount == 0)
            let accounts = try await primary.psql("select count(*), sum(abalance) from pgbench_accounts")
            let history = try await primary.psql("select count(*), sum(delta) from pgbench_history")
            #expect(accounts.hasPrefix("500000|"))

            let restore = target.shellCommand(binary.restoreCommand)
            for (name, options) in [("plain", ""), ("prefetch", " -v -p 8 --spool-dir \(spool.path)")] {
                let replica = try await PostgresCluster.recover(
                    fromBackup: backups + "/" + name,
                    restoreCommand: restore + options + " \(target.url) \(Self.server) %f %p",
                    timeout: .seconds(180))
                try await withCleanup(of: replica) { replica in
                    let restoredAccounts = try await replica.psql("select count(*), sum(abalance) from pgbench_accounts")
                    let restoredHistory = try await replica.psql("select count(*), sum(delta) from pgbench_history")
                    #expect(restoredAccounts == accounts, "\(name): accounts differ")
                    #expect(restoredHistory == history, "\(name): history differs")
                    let log = (try? String(contentsOfFile: replica.logFile, encoding: .utf8)) ?? ""
                    if name == "prefetch" {
                        #expect(log.contains("from the spool"), "no segment came from the spool:\n\(lastLines(log))")
                    }
                }
            }
            // What the spool holds afterwards is only complete, verified segments and the bookkeeping.
            let folder = try PrefetchSpool.folder(under: spool.path)
            try await PrefetchSpool.waitForPrefetcherExit(folder)
            for file in FaultWorkspace.files(under: folder) where !PrefetchSpool.bookkeeping.contains(file) {
                let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + file)[.size] as? Int) ?? 0
                #expect(file.count == 24 && size == 16 << 20, "the spool holds \(file) (\(size) bytes)")
            }
        }
    }
}
