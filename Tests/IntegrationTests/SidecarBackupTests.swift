import Foundation
import Testing

/// `/backup-push` and `POST /backups` of `cloud-wal serve` take real base backups through the
/// library (the same code as `cloud-wal backup`), of a PostgreSQL archiving through the same
/// sidecar; the catalog then lists them as DONE.
@Suite("Sidecar base backups (cloud-wal serve)", .serialized)
struct SidecarBackupTests {
    static let server = "pg1"

    @Test func backupPushAndPolledBackups() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archive = try TempDirectory.make(prefix: "cloudwal-archive")
        defer { archive.remove() }
        let url = "file://" + archive.path
        let port = try Network.freeLoopbackPort()
        let secrets = try TempDirectory.make(prefix: "cloudwal-secret")
        defer { secrets.remove() }
        let token = SidecarProcess.makeToken()
        let tokenFile = secrets.path + "/token"
        try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile)
        try ServerAccount.current.own(tokenFile)
        // The README's token line: wget sends the token read from a file PostgreSQL can read.
        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on",
            "archive_command": "wget -q -O - --header=\"Authorization: Bearer $(cat \(tokenFile))\" http://127.0.0.1:\(port)/wal-push/%f",
        ])
        let connection = await primary.connectionArguments
        let environment = [
            "PGDATA": primary.dataDir, "PGHOST": connection[1], "PGPORT": connection[3], "PGUSER": connection[5],
            "CLOUD_WAL_TOKEN_FILE": tokenFile,
        ]
        try await withCleanup(of: primary) { primary in
            try await withSidecar(binary: binary, arguments: [url, Self.server], environment: environment, port: port) { sidecar in
                try await primary.pgbenchInit(scale: 1)

                // GET waits until the backup is done, as the WAL-E sidecar's did.
                let pushed = try await sidecar.get("/backup-push?name=nightly", token: token)
                #expect(pushed.status == 200, "\(pushed.text)")
                #expect(pushed.text.contains("\"state\":\"done\""), "\(pushed.text)")
                #expect(pushed.text.contains("\"status\":\"DONE\""), "\(pushed.text)")

                // POST answers 202 at once with where to look; polling ends in done.
                let started = try await sidecar.get("/backups", token: token, method: "POST")
                #expect(started.status == 202, "\(started.text)")
                let location = try #require(started.headers["location"])
                #expect(location.hasPrefix("/backups/"))
                let finished = try await waitUntil(timeout: .seconds(120), "polled backup to finish") { () -> String? in
                    let poll = try? await sidecar.get(location, token: token)
                    guard let text = poll?.text, !text.contains("\"state\":\"running\"") else { return nil }
                    return text
                }
                #expect(finished.contains("\"state\":\"done\""), "\(finished)")

                let listing = try await binary.run(["backup-list", "--format", "json", url, Self.server])
                #expect(listing.status == 0, "\(listing.stderr)")
                let done = listing.stdout.components(separatedBy: "\"status\": \"DONE\"").count - 1
                #expect(done == 2, "\(listing.stdout)")
                #expect(listing.stdout.contains("\"backup_name\": \"nightly\""), "\(listing.stdout)")
                let stats = try await primary.archiverStats()
                #expect(stats.archivedCount > 0 && stats.failedCount == 0, "archive_command with the token file: \(stats)")
            }
        }
    }
}
