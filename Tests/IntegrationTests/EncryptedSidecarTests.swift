import Foundation
import Testing

/// `cloud-wal serve` with `CLOUD_WAL_ENCRYPTION_KEYRING`: PostgreSQL archives through one sidecar
/// (UNIX socket), a base backup recovers through another; what is stored is encrypted, and
/// `/wal-fetch` hands back the plain segment; a base backup through `/backup-push` is stored
/// encrypted too, `backup.info` alone in the clear.
@Suite("Encrypted WAL through the sidecar", .serialized)
struct EncryptedSidecarTests {
    static let server = "pg1"

    @Test func archiveAndRecoverThroughTheSidecarWithAKeyring() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archive = try TempDirectory.make(prefix: "cloudwal-archive")
        defer { archive.remove() }
        let secrets = try TempDirectory.make(prefix: "cloudwal-sock")
        defer { secrets.remove() }
        let keyring = secrets.path + "/keyring"
        try await EncryptedWALPostgresTests.addKey(binary, keyring, name: "sidecar-1", in: secrets.path)
        let url = "file://" + archive.path
        let environment = ["CLOUD_WAL_ENCRYPTION_KEYRING": keyring, "CLOUD_WAL_ZSTD": "true"]

        let pushSocket = secrets.path + "/push.sock"
        let primary = try await PostgresCluster.initialize(settings: [
            "archive_mode": "on",
            "archive_command": "curl -fsS -o /dev/null --unix-socket \(pushSocket) http://localhost/wal-push/%f",
        ])
        var pushEnvironment = environment
        pushEnvironment["PGDATA"] = primary.dataDir
        pushEnvironment["CLOUD_WAL_LISTEN_SOCKET"] = pushSocket
        // /backup-push connects as `cloud-wal backup` would.
        let connection = await primary.connectionArguments
        pushEnvironment["PGHOST"] = connection[1]
        pushEnvironment["PGPORT"] = connection[3]
        pushEnvironment["PGUSER"] = connection[5]
        try await withCleanup(of: primary) { primary in
            try await withSidecar(binary: binary, arguments: [url, Self.server], environment: pushEnvironment) { sidecar in
                try await primary.start()
                try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(30))
                let backupDir = try await primary.scratchDirectory("backups") + "/base"
                try await primary.basebackup(to: backupDir, walMethod: .none)
                try await primary.pgbenchInit(scale: 1)
                try await primary.pgbench(transactions: 200, clients: 2)
                let last = try await primary.switchWAL()
                let stats = try await primary.waitForArchiver(upTo: last, timeout: .seconds(90))
                #expect(stats.failedCount == 0)
                let accounts = try await primary.psql("select count(*), sum(abalance) from pgbench_accounts")

                let stored = try PostgresArchiveTests.archivedSegments(archiveDir: archive.path, server: Self.server)
                #expect(stored.isEmpty, "no object is named like plain WAL: \(stored.keys.sorted().prefix(3))")
                let objectPath = archive.path + "/\(Self.server)/wals/\(last.prefix(16))/\(last).zst.cwenc"
                let object = try #require(FileManager.default.contents(atPath: objectPath))
                #expect(object.prefix(5) == Data("CWENC".utf8))

                // Streamed back in the clear, exactly the bytes still in pg_wal.
                if let original = FileManager.default.contents(atPath: primary.walDirectory + "/" + last) {
                    let reply = try await sidecar.call("/wal-fetch/\(last)")
                    #expect(reply.status == 200)
                    #expect(Data(reply.body) == original)
                }
                let backup = try await sidecar.call("/backup-push")
                #expect(backup.status == 200, "\(String(decoding: backup.body, as: UTF8.self))")
                let base = archive.path + "/\(Self.server)/base"
                let backupIDs = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
                #expect(backupIDs.count == 1, "\(backupIDs)")
                for id in backupIDs {
                    let files = ((try? FileManager.default.contentsOfDirectory(atPath: base + "/" + id)) ?? [])
                        .filter { !$0.hasPrefix(".") }.sorted()
                    #expect(files.contains("data.tar.zst.cwenc") && files.contains("cloudwal-manifest.json.cwenc"), "\(files)")
                    #expect(files.allSatisfy { $0 == "backup.info" || $0.hasSuffix(".cwenc") }, "\(files)")
                }

                // Recovery through a second sidecar with the same keyring.
                let fetchSocket = secrets.path + "/fetch.sock"
                var fetchSidecar: SidecarProcess?
                do {
                    let replica = try await PostgresCluster.recover(
                        fromBackup: backupDir,
                        restoreCommand: "curl -fsS -o /dev/null --unix-socket \(fetchSocket) \"http://localhost/wal-fetch/%f?dest=%p\"",
                        timeout: .seconds(120)
                    ) { dataDir in
                        var fetchEnvironment = environment
                        fetchEnvironment["PGDATA"] = dataDir
                        fetchEnvironment["CLOUD_WAL_LISTEN_SOCKET"] = fetchSocket
                        fetchSidecar = try await SidecarProcess.start(
                            binary: binary, arguments: [url, Self.server], environment: fetchEnvironment)
                    }
                    try await withCleanup(of: replica) { replica in
                        let replicaAccounts = try await replica.psql("select count(*), sum(abalance) from pgbench_accounts")
                        #expect(replicaAccounts == accounts)
                    }
                    await fetchSidecar?.stop()
                } catch {
                    let log = fetchSidecar?.logText() ?? "(not started)"
                    await fetchSidecar?.stop()
                    throw HarnessError("\(error)\n--- fetch sidecar log ---\n\(lastLines(log))")
                }
            }
        }
    }
}
