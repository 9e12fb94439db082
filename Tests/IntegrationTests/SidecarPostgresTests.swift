import Foundation
import Testing

/// The sidecar topology of the compose example, without containers: PostgreSQL archives with
/// the README's socket line (`curl --unix-socket ... /wal-push/%f`) and a second cluster
/// recovers with its token line (`curl -H @header-file .../wal-fetch/%f?dest=%p`), each talking to a `cloud-wal serve` that shares its data directory.
@Suite("Sidecar with PostgreSQL (cloud-wal serve)", .serialized)
struct SidecarPostgresTests {
    static let server = "pg1"

    enum Backend: String, CustomStringConvertible, Sendable, CaseIterable {
        case file
        case s3
        var description: String { rawValue }
    }

    @Test("archive_command and restore_command through the sidecar", arguments: Backend.allCases)
    func archiveAndRecoverThroughTheSidecar(backend: Backend) async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        switch backend {
        case .file:
            let archive = try TempDirectory.make(prefix: "cloudwal-archive")
            defer { archive.remove() }
            try await run(binary: binary, url: "file://" + archive.path, environment: [:]) {
                try PostgresArchiveTests.archivedSegments(archiveDir: archive.path, server: Self.server)
                    .mapValues { _ in "" }
            }
        case .s3:
            try await withMotoServer { moto in
                let bucket = try await moto.makeBucket("sidecar")
                // The codec and endpoint come from CLOUD_WAL_<OPTION> variables, as in a container.
                var environment = moto.environment
                environment["CLOUD_WAL_ENDPOINT_URL"] = moto.endpoint
                environment["CLOUD_WAL_ZSTD"] = "true"
                try await run(binary: binary, url: "s3://\(bucket)/wal", environment: environment) {
                    let keys = try await moto.keys(bucket: bucket, prefix: "wal/\(Self.server)/wals/")
                    #expect(keys.allSatisfy { $0.hasSuffix(".zst") || $0.hasSuffix(".history") || $0.hasSuffix(".backup.zst") },
                            "CLOUD_WAL_ZSTD=true should compress every object: \(keys.prefix(5))")
                    var segments: [String: String] = [:]
                    for key in keys {
                        let name = String((key as NSString).lastPathComponent.prefix(while: { $0 != "." }))
                        if name.count == 24 { segments[name] = key }
                    }
                    return segments
                }
            }
        }
    }

    /// One primary archiving through sidecar A, a base backup, load, then a second cluster
    /// recovering through sidecar B; `archived` lists the segment names the archive holds.
    private func run(
        binary: TestBinary, url: String, environment: [String: String],
        archived: () async throws -> [String: String]
    ) async throws {
        let port = try Network.freeLoopbackPort()
        let secrets = try TempDirectory.make(prefix: "cloudwal-sock")
        defer { secrets.remove() }
        let socket = secrets.path + "/cloud-wal.sock"
        let tokenFile = secrets.path + "/token"
        let token = SidecarProcess.makeToken()
        try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile)
        try ServerAccount.current.own(tokenFile)
        // The README's token line keeps the token out of command lines: curl reads the header from a file.
        let headerFile = secrets.path + "/header"
        try Data("Authorization: Bearer \(token)\n".utf8).write(to: URL(fileURLWithPath: headerFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: headerFile)
        try ServerAccount.current.own(headerFile)
        let primary = try await PostgresCluster.initialize(settings: [
            "archive_mode": "on",
            "archive_command": "curl -fsS -o /dev/null --unix-socket \(socket) http://localhost/wal-push/%f",
        ])
        var env = environment
        env["PGDATA"] = primary.dataDir
        env["CLOUD_WAL_LISTEN_SOCKET"] = socket
        try await withCleanup(of: primary) { primary in
            try await withSidecar(binary: binary, arguments: [url, Self.server], environment: env, port: port) { sidecar in
                try await primary.start()
                try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(30))
                let backupDir = try await primary.scratchDirectory("backups") + "/base"
                try await primary.basebackup(to: backupDir, walMethod: .none)

                try await primary.pgbenchInit(scale: 2)
                var lastSegment = try await primary.switchWAL()
                for _ in 0..<2 {
                    try await primary.pgbench(transactions: 200, clients: 2)
                    lastSegment = try await primary.switchWAL()
                }
                let stats = try await primary.waitForArchiver(upTo: lastSegment, timeout: .seconds(90))
                #expect(stats.failedCount == 0)

                // Every segment PostgreSQL marked done is in the archive.
                let done = try FileManager.default.contentsOfDirectory(atPath: primary.walDirectory + "/archive_status")
                    .filter { $0.hasSuffix(".done") }.map { String($0.dropLast(5)) }.filter { $0.count == 24 }
                let inArchive = try await archived()
                #expect(done.count >= 3)
                #expect(done.filter { inArchive[$0] == nil }.isEmpty,
                        "archived by PostgreSQL but missing from the archive: \(done.filter { inArchive[$0] == nil })")
                #expect(inArchive[lastSegment] != nil)

                // wal-fetch without dest streams the exact bytes of a segment still in pg_wal.
                if let original = FileManager.default.contents(atPath: primary.walDirectory + "/" + lastSegment) {
                    let reply = try await sidecar.call("/wal-fetch/\(lastSegment)")
                    #expect(reply.status == 200)
                    #expect(reply.headers["content-length"] == String(original.count))
                    #expect(Data(reply.body) == original)
                }
                let status = try await sidecar.call("/status")
                #expect(status.text.contains("\"last_archived\":{\"segment\":\""))
                #expect(status.text.contains("\"last_failed\":null"), "\(status.text)")

                let accounts = try await primary.psql("select count(*), sum(abalance) from pgbench_accounts")
                let history = try await primary.psql("select count(*) from pgbench_history")
                #expect(history == "800", "2 rounds × 2 clients × 200 transactions")

                // Recovery: the backup has no WAL (-Xnone); all of it comes through sidecar B.
                let fetchPort = try Network.freeLoopbackPort()
                var fetchSidecar: SidecarProcess?
                let restoreCommand = "curl -fsS -o /dev/null -H @\(headerFile) "
                    + "\"http://127.0.0.1:\(fetchPort)/wal-fetch/%f?dest=%p\""
                do {
                    let replica = try await PostgresCluster.recover(
                        fromBackup: backupDir, restoreCommand: restoreCommand, timeout: .seconds(120)
                    ) { dataDir in
                        var fetchEnv = environment
                        fetchEnv["PGDATA"] = dataDir
                        fetchEnv["CLOUD_WAL_TOKEN_FILE"] = tokenFile
                        fetchSidecar = try await SidecarProcess.start(
                            binary: binary, arguments: [url, Self.server], environment: fetchEnv, port: fetchPort)
                    }
                    try await withCleanup(of: replica) { replica in
                        let replicaAccounts = try await replica.psql("select count(*), sum(abalance) from pgbench_accounts")
                        let replicaHistory = try await replica.psql("select count(*) from pgbench_history")
                        #expect(replicaAccounts == accounts)
                        #expect(replicaHistory == history)
                    }
                    let metrics = try await fetchSidecar?.get("/metrics", token: token).text ?? ""
                    #expect(metrics.contains("cloud_wal_requests_total{operation=\"wal_fetch\",result=\"restored\"}"))
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
