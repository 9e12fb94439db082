import Foundation
import Testing

/// `cloud-wal serve` with `CLOUD_WAL_ARCHIVE_AHEAD=4` behind a real PostgreSQL 15 whose
/// `archive_command` is the README's socket line, during bursts of WAL: nothing fails, every
/// segment is stored once and byte-identical, PostgreSQL alone renames `archive_status` files,
/// and `/wal-push` was answered from look-ahead records.
@Suite("Sidecar archiving ahead with PostgreSQL", .serialized)
struct SidecarArchiveAheadPostgresTests {
    static let server = "pg1"

    @Test("a WAL burst archived through the sidecar, four segments ahead")
    func burstThroughTheSidecar() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archive = try TempDirectory.make(prefix: "cloudwal-archive")
        defer { archive.remove() }
        let control = try TempDirectory.make(prefix: "cloudwal-ahead")
        defer { control.remove() }
        let socket = control.path + "/cloud-wal.sock"
        let stateDir = control.path + "/state"
        let primary = try await PostgresCluster.initialize(settings: [
            "archive_mode": "on",
            "archive_command": "curl -fsS -o /dev/null --unix-socket \(socket) http://localhost/wal-push/%f",
            // Keep every segment in pg_wal, so each one archived can be compared with its source.
            "wal_keep_size": "2GB",
            "max_wal_size": "2GB",
        ])
        let environment = [
            "PGDATA": primary.dataDir, "CLOUD_WAL_LISTEN_SOCKET": socket,
            "CLOUD_WAL_ARCHIVE_AHEAD": "4", "CLOUD_WAL_STATE_DIR": stateDir,
        ]
        try await withCleanup(of: primary) { primary in
            try await withSidecar(
                binary: binary, arguments: ["file://" + archive.path, Self.server], environment: environment
            ) { sidecar in
                try await primary.start()
                try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(30))
                _ = try await primary.psql("create table burst (i int, pad text)")
                let last = try await primary.writeWALBursts(4)
                let stats = try await primary.waitForArchiver(upTo: last, timeout: .seconds(180))
                #expect(stats.failedCount == 0, "\(stats)\n\(primary.logTail())")

                // Stored exactly once each, no gap from the first to the last, byte-identical.
                let objects = try ArchivedSegments.objects(archiveDir: archive.path, server: Self.server)
                let names = ArchivedSegments.expectOnceEachWithoutGaps(objects, last: last)
                var compared = 0
                for (name, files) in objects {
                    guard let file = files.first,
                        let original = FileManager.default.contents(atPath: primary.walDirectory + "/" + name)
                    else { continue }
                    let stored = FileManager.default.contents(atPath: "\(archive.path)/\(Self.server)/wals/\(file)")
                    #expect(stored == original, "\(name) is stored with other bytes")
                    compared += 1
                }
                #expect(compared >= 32, "only \(compared) of \(names.count) segments compared")

                // PostgreSQL marked every segment done itself; nothing else is in archive_status.
                try ArchivedSegments.expectAllMarkedDone(names, walDirectory: primary.walDirectory)

                // Look-ahead did the work: pushes answered from records, none failed, no
                // record left once PostgreSQL has asked for everything.
                let reply = try await sidecar.call("/status")
                let json = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
                let ahead = json?["archive_ahead"] as? [String: Any]
                let answered = ahead?["answered_from_record"] as? Int ?? -1
                let joined = ahead?["joined"] as? Int ?? -1
                #expect(answered > 0, "no push was answered from a record: \(reply.text)")
                #expect((ahead?["pushed"] as? Int ?? -1) >= answered + joined, "\(reply.text)")
                #expect(ahead?["failed"] as? Int == 0, "\(reply.text)")
                #expect(ahead?["records_ignored"] as? Int == 0, "\(reply.text)")
                #expect(reply.text.contains("\"last_failed\":null"), "\(reply.text)")
                let records = try ArchivedSegments.recordFiles(stateDir: stateDir)
                #expect(records.isEmpty, "records left after everything was archived: \(records)")
                let metrics = try await sidecar.call("/metrics").text
                #expect(metrics.contains("cloud_wal_archive_ahead_answered_total{how=\"record\"} \(answered)\n"))
            }
        }
    }
}
