import Foundation
import Testing

/// `archive_command = cloud-wal-archive --parallel 4 ...` under a real PostgreSQL 15 during bursts
/// of WAL: nothing fails, every segment is stored exactly once and restores byte-identical,
/// PostgreSQL itself marks every segment `.done`, and look-ahead actually answered some calls.
/// With `killOne`, one look-ahead call is killed with SIGKILL in the middle and the archiver
/// carries on: nothing is lost and no record outlives its segment. On `file://` and on SeaweedFS,
/// a real S3 server that checks every request's signature.
@Suite("PostgreSQL look-ahead archiving", .serialized)
struct PostgresLookAheadArchiveTests {
    static let server = "pg1"

    @Test("a WAL burst archived with --parallel 4",
          arguments: [("file", false), ("file", true), ("seaweedfs", false)])
    func burstWithLookAhead(store: String, killOne: Bool) async throws {
        try await BackupTarget.with(store, hint: "la") { try await burst(target: $0, killOne: killOne) }
    }

    private func burst(target: BackupTarget, killOne: Bool) async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archivePath = String(target.url.dropFirst("file://".count))
        let control = try TempDirectory.make(prefix: "cloudwal-la")
        defer { control.remove() }
        let restored = try TempDirectory.make(prefix: "cloudwal-restored", ownedByServer: false)
        defer { restored.remove() }
        let url = target.url
        let stateDir = control.path + "/state"
        let archiveCommand = target.shellCommand(binary.archiveCommand)
            + " -v --parallel 4 --state-dir \(stateDir) \(url) \(Self.server)"

        // The killing wrapper: once `trigger` exists, the first call that has no record and at
        // least two later segments ready (so it archives itself and ahead) starts the real
        // command, SIGKILLs it once its first object is stored (the others still in flight), and
        // reports failure, as a crashed archiver would. archive_command runs in PGDATA.
        let script = control.path + "/archive.sh"
        try """
            #!/bin/sh
            seg=$(basename "$1")
            if [ -e \(control.path)/trigger ] && [ "$(ls pg_wal/archive_status | grep -c '[.]ready$')" -ge 3 ] \\
                && ! ls \(stateDir)/*/"$seg" >/dev/null 2>&1 && mkdir \(control.path)/killed 2>/dev/null; then
                ls pg_wal/archive_status > \(control.path)/killed/status
                \(archiveCommand) "$1" &
                # Killed as soon as its first object lands, while the others are still in flight.
                for i in $(seq 1 400); do
                    [ -n "$(find \(archivePath)/\(Self.server)/wals -type f -name '0*' -newer \(control.path)/killed/status | head -1)" ] && break
                    sleep 0.005
                done
                kill -9 $!
                exit 1
            fi
            exec \(archiveCommand) "$1"
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)

        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on",
            "archive_command": killOne ? "\(script) %p" : "\(archiveCommand) %p",
            // Keep every segment in pg_wal, so each one archived can be compared with its source.
            "wal_keep_size": "2GB",
            "max_wal_size": "2GB",
        ])
        try await withCleanup(of: primary) { primary in
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(30))
            _ = try await primary.psql("create table burst (i int, pad text)")
            _ = FileManager.default.createFile(atPath: control.path + "/trigger", contents: nil)
            let last = try await primary.writeWALBursts(3)
            let stats = try await primary.waitForArchiver(upTo: last, timeout: .seconds(120), failOnError: !killOne)
            let log = (try? String(contentsOfFile: primary.logFile, encoding: .utf8)) ?? ""
            #expect(stats.failedCount == (killOne ? 1 : 0), "\(stats)\n\(primary.logTail())")
            if killOne {
                #expect(FileManager.default.fileExists(atPath: control.path + "/killed"))
            }

            // Stored exactly once each, with no gap from the first archived segment to the last.
            let objects: [String: [String]]
            if let inspector = target.inspector, let bucket = target.bucket {
                objects = ArchivedSegments.objects(
                    relativePaths: try await inspector.keys(bucket: bucket)
                        .filter { $0.hasPrefix("cluster/\(Self.server)/wals/") })
            } else {
                objects = try ArchivedSegments.objects(archiveDir: archivePath, server: Self.server)
            }
            let names = ArchivedSegments.expectOnceEachWithoutGaps(objects, last: last)
            #expect(names.compactMap(ArchivedSegments.number).count == names.count)
            #expect(stats.archivedCount >= names.count)

            // PostgreSQL marked every segment done itself; nothing is left ready, and nothing but
            // its own status files is there.
            try ArchivedSegments.expectAllMarkedDone(names, walDirectory: primary.walDirectory)

            // Look-ahead answered some calls, and every record was consumed by PostgreSQL's own call.
            let answeredAhead = log.components(separatedBy: "was archived ahead as").count - 1
            #expect(answeredAhead > 0, "no call was answered from a record:\n\(primary.logTail())")
            let records = try ArchivedSegments.recordFiles(stateDir: stateDir)
            #expect(records.isEmpty, "records left after everything was archived: \(records)")

            // Every archived segment restores byte-identical to pg_wal.
            var compared = 0
            for name in names {
                let dest = restored.path + "/" + name
                let result = try await binary.run(
                    target.cliOptions + [url, Self.server, name, dest], as: "cloud-wal-restore", env: target.environment)
                #expect(result.status == 0, "restore \(name): \(result.stderr)")
                guard result.status == 0,
                    let original = FileManager.default.contents(atPath: primary.walDirectory + "/" + name)
                else { continue }
                #expect(FileManager.default.contents(atPath: dest) == original, "restored \(name) differs")
                compared += 1
                try? FileManager.default.removeItem(atPath: dest)
            }
            #expect(compared >= 24, "only \(compared) of \(names.count) segments compared")
        }
    }

    @Test("--parallel below 1 is bad input, before anything is read")
    func parallelZeroIsRefused() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let result = try await binary.run(
            ["--parallel", "0", "file:///nonexistent", Self.server, "/nonexistent/000000010000000000000001"],
            as: "cloud-wal-archive")
        #expect(result.status == 3, "\(result.status): \(result.stderr)")
        #expect(result.stderr.contains("--parallel"))
    }
}
