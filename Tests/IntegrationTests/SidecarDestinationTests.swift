import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `/wal-fetch?dest=` against a real PostgreSQL 15 data directory (initdb, pg_wal on another
/// "volume" through a symlink, as `initdb --waldir` makes it): every traversal, encoding and
/// symlink trick is refused and PGDATA is unchanged file by file; the destinations PostgreSQL
/// uses still work, through the symlink.
@Suite("Sidecar dest confinement with a real PGDATA (cloud-wal serve)", .serialized)
struct SidecarDestinationTests {
    static let server = "pg1"
    static let first = "000000010000000000000001"
    static let fifoName = "000000010000000000000002"
    static let directoryName = "000000010000000000000003"

    @Test func noDestOutsideTheWALDirectoryAndNoTrickTouchesPGDATA() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archive = try TempDirectory.make(prefix: "cloudwal-archive")
        defer { archive.remove() }
        let outside = try TempDirectory.make(prefix: "cloudwal-outside")
        defer { outside.remove() }
        let cluster = try await PostgresCluster.initialize()
        try await withCleanup(of: cluster) { cluster in
            let data = cluster.dataDir
            let fm = FileManager.default
            // pg_wal on another volume: the directory moves, a symlink takes its place.
            let walDisk = cluster.root.path + "/waldisk"
            try fm.moveItem(atPath: data + "/pg_wal", toPath: walDisk)
            try fm.createSymbolicLink(atPath: data + "/pg_wal", withDestinationPath: walDisk)
            // Traps: a symlink to pg_control where PostgreSQL restores history files, a FIFO and
            // a directory under WAL names, a symlink out of PGDATA.
            try fm.createSymbolicLink(atPath: walDisk + "/RECOVERYHISTORY", withDestinationPath: data + "/global/pg_control")
            #expect(mkfifo(walDisk + "/" + Self.fifoName, 0o600) == 0)
            try fm.createDirectory(atPath: walDisk + "/" + Self.directoryName, withIntermediateDirectories: false)
            try fm.createSymbolicLink(atPath: data + "/escape", withDestinationPath: outside.path)
            let segment = try #require(fm.contents(atPath: walDisk + "/" + Self.first))
            #expect(segment.count == 16 << 20)

            let token = SidecarProcess.makeToken()
            let env = ["PGDATA": data, "CLOUD_WAL_TOKEN": token]
            try await withSidecar(binary: binary, arguments: ["file://" + archive.path, Self.server], environment: env) { sidecar in
                // The segment initdb wrote, archived through the pg_wal symlink.
                #expect(try await sidecar.call("/wal-push/\(Self.first)").status == 200)

                let dataBefore = try SidecarTreeSnapshot(data)
                let walBefore = try SidecarTreeSnapshot(walDisk)
                let outsideBefore = try SidecarTreeSnapshot(outside.path)
                let fetch = "/wal-fetch/\(Self.first)?dest="
                let long = String(repeating: "A", count: 4000)
                // (target, expected status): 400 for a dest that is not the WAL directory plus a
                // PostgreSQL name, 409 for a PostgreSQL name whose entry may not be replaced.
                let attempts: [(String, Int)] = [
                    (fetch + "global/pg_control", 400), (fetch + "postgresql.conf", 400), (fetch + "pg_wal", 400),
                    (fetch + "pg_wal/", 400), (fetch + "PG_VERSION", 400), (fetch + "RECOVERYXLOG", 400),
                    (fetch + "pg_wal/../global/pg_control", 400), (fetch + "pg_wal/../postgresql.conf", 400),
                    (fetch + "../\(outside.path.split(separator: "/").last ?? "x")/x", 400),
                    (fetch + "./pg_wal/RECOVERYXLOG", 400), (fetch + "pg_wal//RECOVERYXLOG", 400),
                    (fetch + "pg_wal/./RECOVERYXLOG", 400), (fetch + "escape/RECOVERYXLOG", 400),
                    (fetch + "\(outside.path)/RECOVERYXLOG", 400), (fetch + "/etc/RECOVERYXLOG", 400),
                    (fetch + "\(data)/global/pg_control", 400), (fetch + "\(data)/RECOVERYXLOG", 400),
                    (fetch + "\(data)/pg_wal/../global/pg_control", 400),
                    (fetch + "%2e%2e%2fglobal%2fpg_control", 400), (fetch + "pg_wal%2f..%2fglobal%2fpg_control", 400),
                    (fetch + "%252e%252e%252fglobal%252fpg_control", 400), (fetch + "pg_wal%252FRECOVERYXLOG", 400),
                    (fetch + "pg_wal/RECOVERYXLOG%00", 400), (fetch + "pg_wal/RECOVERYXLOG%00.conf", 400),
                    (fetch + "pg_wal%5CRECOVERYXLOG", 400), (fetch + "pg_wal%5C..%5Cglobal%5Cpg_control", 400),
                    (fetch + "pg_wal/archive_status/RECOVERYXLOG", 400), (fetch + "pg_wal/evil", 400),
                    (fetch + "pg_wal/RECOVERYXLOG.conf", 400), (fetch + "pg_wal/recoveryxlog", 400),
                    (fetch + "pg_wal/000000010000000000000009", 400), (fetch + "pg_wal/" + long, 400),
                    (fetch + String(repeating: "pg_wal/", count: 600) + "RECOVERYXLOG", 400),
                    (fetch + "pg_wal/RECOVERYXLOG&dest=global/pg_control", 400),
                    ("/wal-fetch/../global/pg_control?dest=pg_wal/RECOVERYXLOG", 400),
                    ("/wal-fetch/%2e%2e%2fglobal%2fpg_control?dest=pg_wal/RECOVERYXLOG", 400),
                    // PostgreSQL names whose entries are not regular files, or are live WAL.
                    (fetch + "pg_wal/RECOVERYHISTORY", 409), (fetch + "\(data)/pg_wal/RECOVERYHISTORY", 409),
                    (fetch + "pg_wal/\(Self.first)", 409),
                    ("/wal-fetch/\(Self.fifoName)?dest=pg_wal/\(Self.fifoName)", 409),
                    ("/wal-fetch/\(Self.directoryName)?dest=pg_wal/\(Self.directoryName)", 409),
                ]
                for (target, expected) in attempts {
                    let reply = try await sidecar.get(target, token: token)
                    #expect(reply.status == expected, "\(target.prefix(120)): \(reply.status) \(reply.text.prefix(200))")
                    #expect(reply.text.hasSuffix("\n") && reply.text.split(separator: "\n").count == 1, "one line: \(reply.text.prefix(200))")
                }
                let dataAfter = try SidecarTreeSnapshot(data)
                let walAfter = try SidecarTreeSnapshot(walDisk)
                #expect(dataAfter == dataBefore, "PGDATA changed: \(dataBefore.differences(from: dataAfter))")
                #expect(walAfter == walBefore, "the WAL directory changed: \(walBefore.differences(from: walAfter))")
                #expect(try SidecarTreeSnapshot(outside.path) == outsideBefore)
                // None of them reached the archive.
                let metrics = try await sidecar.call("/metrics").text
                #expect(!metrics.contains("cloud_wal_requests_total{operation=\"wal_fetch\""), "\(metrics)")

                // What PostgreSQL and pg_rewind pass still works, through the pg_wal symlink:
                // relative (%p), absolute, and the directory's resolved spelling; a previous
                // RECOVERYXLOG is replaced.
                for dest in ["pg_wal/RECOVERYXLOG", "\(data)/pg_wal/RECOVERYXLOG", "\(walDisk)/RECOVERYXLOG"] {
                    let reply = try await sidecar.get(fetch + dest, token: token)
                    #expect(reply.status == 200, "\(dest): \(reply.text)")
                    #expect(fm.contents(atPath: walDisk + "/RECOVERYXLOG") == segment)
                }
                try fm.removeItem(atPath: walDisk + "/RECOVERYHISTORY")
                #expect(try await sidecar.get(fetch + "pg_wal/RECOVERYHISTORY", token: token).status == 200)
                #expect(fm.contents(atPath: walDisk + "/RECOVERYHISTORY") == segment)
                #expect(try fm.destinationOfSymbolicLink(atPath: data + "/pg_wal") == walDisk, "pg_wal is still the symlink")
                #expect(try SidecarTreeSnapshot(data) == dataBefore)
                // The restored files are PostgreSQL's (the sidecar's uid), 0600, and nothing else appeared.
                let restored = try SidecarTreeSnapshot(walDisk).entries.filter { $0.path.hasPrefix("RECOVERY") }
                #expect(restored.map(\.path) == ["RECOVERYHISTORY", "RECOVERYXLOG"])
                #expect(restored.allSatisfy { $0.type == "file" && $0.mode == 0o600 && $0.owner == ServerAccount.current.uid })
                let added = Set(try SidecarTreeSnapshot(walDisk).entries.map(\.path)).subtracting(walBefore.entries.map(\.path))
                #expect(added == ["RECOVERYXLOG"], "\(added)")
            }
        }
    }
}
