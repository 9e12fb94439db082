import Foundation
import Testing

/// End to end against a real PostgreSQL 15: the server archives through `cloud-wal-archive`,
/// every archived segment restores byte-identical through `cloud-wal-restore`, and a base backup
/// recovers from the archive to the primary's exact data.
///
/// Serialized: each case runs two servers plus pgbench, and the CI machine has two cores.
@Suite("PostgreSQL archive and restore", .serialized)
struct PostgresArchiveTests {
    static let server = "pg1"

    @Test("archive_command + restore_command round trip", arguments: [
        [String](),
        ["--zstd"],
    ])
    func archiveRestoreAndRecover(compressionOptions: [String]) async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archive = try TempDirectory.make(prefix: "cloudwal-archive")
        defer { archive.remove() }
        let restored = try TempDirectory.make(prefix: "cloudwal-restored", ownedByServer: false)
        defer { restored.remove() }
        let url = "file://" + archive.path

        let archiveCommand = ([binary.archiveCommand] + compressionOptions + [url, Self.server, "%p"])
            .joined(separator: " ")
        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on",
            "archive_command": archiveCommand,
        ])
        try await withCleanup(of: primary) { primary in
            let expected = try await archiveAndRestore(primary: primary, binary: binary, url: url,
                                                       archiveDir: archive.path, restoredDir: restored.path)

            // Recovery of the base backup from the archive, then promotion.
            let replica = try await PostgresCluster.recover(
                fromBackup: expected.backupDir,
                restoreCommand: "\(binary.restoreCommand) \(url) \(Self.server) %f %p",
                timeout: .seconds(90))
            try await withCleanup(of: replica) { replica in
                let accounts = try await replica.psql("select count(*), sum(abalance) from pgbench_accounts")
                let history = try await replica.psql("select count(*) from pgbench_history")
                #expect(accounts == expected.accounts)
                #expect(history == expected.history)
            }
        }
    }

    struct Expected: Sendable {
        let backupDir: String
        let accounts: String
        let history: String
    }

    /// Base backup, pgbench load with WAL switches, archive checks, and a byte-for-byte restore of
    /// every archived segment. Returns the backup and the data the recovered cluster must show.
    private func archiveAndRestore(primary: PostgresCluster, binary: TestBinary, url: String,
                                   archiveDir: String, restoredDir: String) async throws -> Expected {
        // Archiving must work before the backup: pg_basebackup -Xnone waits for its WAL to be
        // archived, so a broken archive_command would otherwise surface only as a backup timeout.
        try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(30))

        // Backup first, so recovery has to replay pgbench's schema and load from the archive.
        // -Xnone: the backup holds no WAL at all; every segment comes through restore_command.
        let backupDir = try await primary.scratchDirectory("backups") + "/base"
        try await primary.basebackup(to: backupDir, walMethod: .none)

        try await primary.pgbenchInit(scale: 5)
        var lastSegment = try await primary.switchWAL()
        for _ in 0..<3 {
            try await primary.pgbench(transactions: 300, clients: 2)
            lastSegment = try await primary.switchWAL()
        }
        let stats = try await primary.waitForArchiver(upTo: lastSegment, timeout: .seconds(60))
        #expect(stats.failedCount == 0)
        #expect(stats.archivedCount > 0)

        // Nothing writes after the last switch, so this is exactly what the archive holds.
        let accounts = try await primary.psql("select count(*), sum(abalance) from pgbench_accounts")
        let history = try await primary.psql("select count(*) from pgbench_history")
        #expect(accounts.hasPrefix("500000|"))
        #expect(history == "1800")

        // Layout contract: <dir>/<server>/wals/<first 16 hex>/<name><ext>.
        let segments = try Self.archivedSegments(archiveDir: archiveDir, server: Self.server)
        #expect(segments[lastSegment] != nil,
                "last switched segment \(lastSegment) missing; archive has \(segments.keys.sorted())")
        for (name, file) in segments {
            let hashDir = (file as NSString).deletingLastPathComponent
            #expect((hashDir as NSString).lastPathComponent == String(name.prefix(16)))
        }

        // Every archived segment restores; those still in pg_wal must be byte-identical.
        var compared = 0
        for name in segments.keys.sorted() {
            let dest = restoredDir + "/" + name
            let result = try await binary.run([url, Self.server, name, dest], as: "cloud-wal-restore")
            #expect(result.status == 0, "restore \(name): \(result.stderr)")
            guard result.status == 0 else { continue }
            // A segment can vanish from pg_wal between listing and reading; only compare what we read.
            guard let original = FileManager.default.contents(atPath: primary.walDirectory + "/" + name) else {
                continue
            }
            let copy = FileManager.default.contents(atPath: dest)
            #expect(copy == original, "restored \(name) differs from pg_wal/\(name)")
            compared += 1
            try? FileManager.default.removeItem(atPath: dest)
        }
        #expect(compared >= 3, "only \(compared) archived segments were still in pg_wal to compare")

        // The subcommand form, and "not found" is exit 1 (restore_command relies on it).
        let viaSubcommand = try await binary.run(["wal-restore", url, Self.server, lastSegment, restoredDir + "/sub"])
        #expect(viaSubcommand.status == 0, "cloud-wal wal-restore: \(viaSubcommand.stderr)")
        let missing = try await binary.run([url, Self.server, "00000001000000FF000000FE", restoredDir + "/missing"],
                                           as: "cloud-wal-restore")
        #expect(missing.status == 1, "restore of a never-archived segment should exit 1, got \(missing.status)")

        return Expected(backupDir: backupDir, accounts: accounts, history: history)
    }

    /// Archived WAL segments (24 hex digits, optionally with a compression suffix) by name.
    /// History, .backup and .partial files are skipped: they are not segments to compare.
    static func archivedSegments(archiveDir: String, server: String) throws -> [String: String] {
        let wals = archiveDir + "/" + server + "/wals"
        let suffixes = [".gz", ".bz2", ".xz", ".snappy", ".zst", ".lz4"]
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: wals) else {
            throw HarnessError("archive directory \(wals) does not exist")
        }
        for case let relative as String in walker {
            var name = (relative as NSString).lastPathComponent
            if let suffix = suffixes.first(where: { name.hasSuffix($0) }) {
                name.removeLast(suffix.count)
            }
            let isSegment = name.count == 24 && name.allSatisfy { $0.isHexDigit && !$0.isLowercase }
            if isSegment { result[name] = wals + "/" + relative }
        }
        return result
    }
}
