import Foundation
import Testing

/// The `backup` command's contract: exit statuses, one-line errors, and the warning an operator
/// needs when the backup could not be restored.
@Suite("cloud-wal backup command line", .serialized)
struct BaseBackupCLITests {
    @Test func badInputAndUnreachableServer() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archive = try TempDirectory.make(prefix: "cloudwal-archive", ownedByServer: false)
        defer { archive.remove() }
        let url = "file://" + archive.path

        let badJobs = try await binary.run(["backup", "-J", "0", url, "pg1"])
        #expect(badJobs.status == 3, "\(badJobs.stderr)")
        let twoCodecs = try await binary.run(["backup", "--gzip", "--lz4", url, "pg1"])
        #expect(twoCodecs.status == 3, "\(twoCodecs.stderr)")
        #expect(twoCodecs.stderr.split(separator: "\n").count == 1, "one line: \(twoCodecs.stderr)")

        // Nothing listens on this port: exit 1, one line naming the server, nothing written.
        let port = try Network.freeLoopbackPort()
        let unreachable = try await binary.run(["backup", "-h", "127.0.0.1", "-p", String(port), url, "pg1"])
        #expect(unreachable.status == 1, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("Cannot connect to PostgreSQL at 127.0.0.1:\(port)"), "\(unreachable.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: archive.path).isEmpty)
    }

    @Test func warnsWhenArchivingIsOff() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archive = try TempDirectory.make(prefix: "cloudwal-archive", ownedByServer: false)
        defer { archive.remove() }
        let url = "file://" + archive.path
        let primary = try await PostgresCluster.start(settings: ["archive_mode": "off"])
        try await withCleanup(of: primary) { primary in
            let backup = try await binary.run(
                ["backup", "--immediate-checkpoint"] + (await primary.connectionArguments) + [url, "pg1"],
                timeout: .seconds(120))
            #expect(backup.status == 0, "\(backup.stderr)")
            #expect(backup.stderr.contains("archive_mode is off"), "\(backup.stderr)")
            let listing = try await binary.run(["backup-list", url, "pg1"])
            #expect(listing.stdout.contains(backup.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
    }
}
