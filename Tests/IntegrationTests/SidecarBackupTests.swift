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
        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on",
            "archive_command": "wget -q -O - http://127.0.0.1:\(port)/wal-push/%f",
        ])
        let connection = await primary.connectionArguments
        let environment = [
            "PGDATA": primary.dataDir, "PGHOST": connection[1], "PGPORT": connection[3], "PGUSER": connection[5],
        ]
        try await withCleanup(of: primary) { primary in
            try await withSidecar(binary: binary, arguments: [url, Self.server], environment: environment, port: port) { sidecar in
                try await primary.pgbenchInit(scale: 1)

                // GET waits until the backup is done, as the WAL-E sidecar's did.
                let pushed = try await sidecar.get("/backup-push?name=nightly")
                #expect(pushed.status == 200, "\(pushed.text)")
                #expect(pushed.text.contains("\"state\":\"done\""), "\(pushed.text)")
                #expect(pushed.text.contains("\"status\":\"DONE\""), "\(pushed.text)")

                // POST answers 202 at once with where to look; polling ends in done.
                let started = try await sidecar.get("/backups", method: "POST")
                #expect(started.status == 202, "\(started.text)")
                let location = try #require(started.headers["location"])
                #expect(location.hasPrefix("/backups/"))
                let finished = try await waitUntil(timeout: .seconds(120), "polled backup to finish") { () -> String? in
                    let poll = try? await sidecar.get(location)
                    guard let text = poll?.text, !text.contains("\"state\":\"running\"") else { return nil }
                    return text
                }
                #expect(finished.contains("\"state\":\"done\""), "\(finished)")

                let listing = try await binary.run(["backup-list", "--format", "json", url, Self.server])
                #expect(listing.status == 0, "\(listing.stderr)")
                let done = listing.stdout.components(separatedBy: "\"status\": \"DONE\"").count - 1
                #expect(done == 2, "\(listing.stdout)")
                #expect(listing.stdout.contains("\"backup_name\": \"nightly\""), "\(listing.stdout)")
            }
        }
    }
}
