import CloudWALServer
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real `cloud-wal serve` refusing what it must refuse, sharing uploads, and shutting down
/// gracefully; file:// archive, fake PGDATA (no PostgreSQL needed).
@Suite("Sidecar safety, concurrency and shutdown (cloud-wal serve)", .serialized)
struct SidecarSafetyTests {
    static let server = "pg1"
    static let token = "integration-secret"

    /// A fake PGDATA with pg_wal, a sibling directory it must never write to, and a symlink
    /// inside PGDATA that points there.
    struct Fixture {
        let root: TempDirectory
        let archive: TempDirectory
        var data: String { root.path + "/data" }
        var wal: String { data + "/pg_wal" }
        var outside: String { root.path + "/outside" }
        var url: String { "file://" + archive.path }

        init() throws {
            root = try TempDirectory.make(prefix: "cloudwal-sc")
            archive = try TempDirectory.make(prefix: "cloudwal-sc-archive")
            _ = try root.subdirectory("data")
            _ = try root.subdirectory("data/pg_wal")
            _ = try root.subdirectory("outside")
            try FileManager.default.createSymbolicLink(atPath: data + "/escape", withDestinationPath: outside)
        }

        /// A WAL-sized file of random bytes in pg_wal, readable by the server account.
        @discardableResult
        func segment(_ name: String, size: Int = 1 << 20) throws -> Data {
            var bytes = [UInt8](repeating: 0, count: size)
            for index in stride(from: 0, to: size, by: 8) {
                withUnsafeBytes(of: UInt64.random(in: 0...UInt64.max)) { random in
                    for offset in 0..<min(8, size - index) { bytes[index + offset] = random[offset] }
                }
            }
            let data = WALSegmentHeader.stamped(Data(bytes), as: name)
            try data.write(to: URL(fileURLWithPath: wal + "/" + name))
            try ServerAccount.current.own(wal + "/" + name)
            return data
        }

        func archivedObjects() -> [String] {
            let wals = archive.path + "/" + SidecarSafetyTests.server + "/wals"
            guard let walker = FileManager.default.enumerator(atPath: wals) else { return [] }
            // The file backend keeps each object's metadata in a hidden `.<name>.meta` beside it.
            return walker.compactMap { $0 as? String }.filter {
                let name = ($0 as NSString).lastPathComponent
                return name.count >= 24 && !name.hasPrefix(".")
            }.sorted()
        }

        func remove() {
            root.remove()
            archive.remove()
        }
    }

    static func name(_ index: Int) -> String {
        "00000001" + "00000000" + String(format: "%08X", index)
    }

    @Test func refusalsAreAnsweredAndTouchNothing() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let fixture = try Fixture()
        defer { fixture.remove() }
        let segment = Self.name(1)
        let original = try fixture.segment(segment)
        let env = ["PGDATA": fixture.data, "CLOUD_WAL_TOKEN": Self.token]
        try await withSidecar(binary: binary, arguments: [fixture.url, Self.server], environment: env) { sidecar in
            // The health check stays open; everything else needs the token.
            #expect(try await sidecar.get("/ping").status == 200)
            for target in ["/wal-push/\(segment)", "/wal-fetch/\(segment)?dest=pg_wal/RECOVERYXLOG", "/status"] {
                #expect(try await sidecar.get(target).status == 401, "\(target) without token")
                #expect(try await sidecar.get(target, token: "wrong").status == 401, "\(target) with a wrong token")
                #expect(try await sidecar.get(target, token: Self.token + "x").status == 401, "\(target) with a longer token")
            }
            #expect(fixture.archivedObjects().isEmpty, "a refused push must not archive")
            #expect(!FileManager.default.fileExists(atPath: fixture.wal + "/RECOVERYXLOG"))

            let bad = [
                "/wal-push/postgresql.conf", "/wal-push/../../etc/passwd", "/wal-push/..%2F..%2Fetc%2Fpasswd",
                "/wal-push/%2e%2e", "/wal-fetch/pg_hba.conf", "/wal-fetch/../postgresql.conf?dest=pg_wal/x",
                "/wal-fetch/\(segment)?dest=/tmp/cloudwal-escape",
                "/wal-fetch/\(segment)?dest=../outside/x", "/wal-fetch/\(segment)?dest=pg_wal/../../outside/x",
                "/wal-fetch/\(segment)?dest=escape/x", "/wal-fetch/\(segment)?dest=%2Ftmp%2Fx",
            ]
            for target in bad {
                let reply = try await sidecar.get(target, token: Self.token)
                #expect(reply.status == 400, "\(target): \(reply.status) \(reply.text)")
                #expect(reply.text.hasSuffix("\n") && reply.text.split(separator: "\n").count == 1, "one-line reason")
            }
            #expect(fixture.archivedObjects().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.outside).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: "/tmp/cloudwal-escape"))
            // Nothing was read from storage for the refused fetches.
            let metrics = try await sidecar.get("/metrics", token: Self.token).text
            #expect(!metrics.contains("operation=\"wal_fetch\",result="), "refused fetches must not reach the archive")
            #expect(metrics.contains("cloud_wal_failures_total{operation=\"wal_fetch\",reason=\"invalid_destination\"} 5"))
            #expect(metrics.contains("cloud_wal_failures_total{operation=\"wal_push\",reason=\"unauthorized\"} 3"))

            // Not in the archive: 404, the one status restore_command reads as "not found".
            #expect(try await sidecar.get("/wal-fetch/\(Self.name(9))?dest=pg_wal/RECOVERYXLOG", token: Self.token).status == 404)
            // With the token, the same requests work.
            #expect(try await sidecar.get("/wal-push/\(segment)", token: Self.token).status == 200)
            #expect(fixture.archivedObjects().count == 1)
            let fetched = try await sidecar.get("/wal-fetch/\(segment)?dest=pg_wal/RECOVERYXLOG", token: Self.token, method: "POST")
            #expect(fetched.status == 200, "\(fetched.text)")
            #expect(FileManager.default.contents(atPath: fixture.wal + "/RECOVERYXLOG") == original)

            // Same name, different content: 409, and the archived copy stays.
            try fixture.segment(segment)
            let conflict = try await sidecar.get("/wal-push/\(segment)", token: Self.token)
            #expect(conflict.status == 409, "\(conflict.text)")
            // A base backup is never started without the token.
            #expect(try await sidecar.get("/backup-push").status == 401)
            #expect(try await sidecar.get("/backups", method: "POST").status == 401)
        }
    }

    /// The README's point-in-time-recovery restore_command, over the UNIX socket: restored → 0,
    /// not archived → 1 (PostgreSQL: "not found"), sidecar unreachable → 255 (PostgreSQL stops
    /// instead of ending recovery early).
    @Test func theRecoveryRestoreCommandTellsNotFoundFromFailure() async throws {
        let workspace = try SidecarWorkspace()
        defer { workspace.remove() }
        let (binary, fixture, sockets) = (workspace.binary, workspace.fixture, workspace.sockets)
        let socket = sockets.path + "/cloud-wal.sock"
        let segment = Self.name(1)
        let original = try fixture.segment(segment)
        let template = #"c=$(curl -s -o /dev/null -w "%%{http_code}" --unix-socket SOCKET "http://localhost/wal-fetch/%f?dest=%p"); [ "$c" = 200 ] || { [ "$c" = 404 ] && exit 1; exit 255; }"#
        // What PostgreSQL does with the setting: %f, %p and %% substituted, run by sh in PGDATA.
        func restore(_ name: String) async throws -> Int32 {
            let command = template.replacingOccurrences(of: "SOCKET", with: socket)
                .replacingOccurrences(of: "%f", with: name).replacingOccurrences(of: "%p", with: "pg_wal/RECOVERYXLOG")
                .replacingOccurrences(of: "%%", with: "%")
            return try await ServerAccount.current.run("/bin/sh", ["-c", command], workingDirectory: fixture.data).status
        }
        try await withSidecar(binary: binary, arguments: [fixture.url, Self.server],
                              environment: ["PGDATA": fixture.data, "CLOUD_WAL_LISTEN_SOCKET": socket]) { sidecar in
            let pushed = try await sidecar.call("/wal-push/\(segment)").status
            let restored = try await restore(segment)
            let missing = try await restore(Self.name(2))
            #expect(pushed == 200)
            #expect(restored == 0)
            #expect(FileManager.default.contents(atPath: fixture.wal + "/RECOVERYXLOG") == original)
            #expect(missing == 1, "not archived: exit 1, PostgreSQL's \"not found\"")
        }
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket is removed at exit")
        let unreachable = try await restore(segment)
        #expect(unreachable == 255, "an unreachable sidecar must stop recovery")
    }

    @Test func aBurstOfPushesArchivesEachSegmentExactlyOnce() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let fixture = try Fixture()
        defer { fixture.remove() }
        let names = (1...64).map(Self.name)
        for name in names { try fixture.segment(name) }
        let shared = Self.name(100)
        try fixture.segment(shared, size: 16 << 20)
        // 80 connections at once: above the default cap of 64, which would answer the excess 503.
        let env = ["PGDATA": fixture.data, "CLOUD_WAL_TOKEN": Self.token, "CLOUD_WAL_MAX_CONNECTIONS": "100"]
        try await withSidecar(binary: binary, arguments: [fixture.url, Self.server, "--lz4"], environment: env) { sidecar in
            let statuses = try await withThrowingTaskGroup(of: (String, Int).self) { group in
                for name in names {
                    group.addTask { (name, try await sidecar.call("/wal-push/\(name)").status) }
                }
                // The same segment 16 times at once: one upload, sixteen 200s.
                for _ in 0..<16 {
                    group.addTask { (shared, try await sidecar.call("/wal-push/\(shared)", method: "POST").status) }
                }
                return try await group.reduce(into: [(String, Int)]()) { $0.append($1) }
            }
            #expect(statuses.count == 80)
            #expect(statuses.filter { $0.1 != 200 }.isEmpty, "not 200: \(statuses.filter { $0.1 != 200 })")
            let objects = fixture.archivedObjects()
            #expect(objects.count == 65, "\(objects.count) objects")
            #expect(Set(objects.map { String(($0 as NSString).lastPathComponent.prefix(24)) }) == Set(names + [shared]))
            #expect(objects.allSatisfy { $0.hasSuffix(".lz4") })
            let metrics = try await sidecar.call("/metrics").text
            #expect(metrics.contains("cloud_wal_requests_total{operation=\"wal_push\",result=\"archived\"} "))
            let archivedLine = metrics.split(separator: "\n").first { $0.hasPrefix("cloud_wal_requests_total{operation=\"wal_push\",result=\"archived\"}") }
            let archivedCount = archivedLine.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
            // 65 uploads; the 15 other pushes of `shared` either joined the upload or, arriving
            // after it finished, found the same content already archived.
            #expect(archivedCount >= 65)
            #expect(!metrics.contains("cloud_wal_failures_total{operation=\"wal_push\""))
        }
    }

    @Test func sigtermFinishesUploadsInProgress() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let fixture = try Fixture()
        defer { fixture.remove() }
        // xz over random 4 MiB takes seconds per segment: still running at SIGTERM.
        let names = (1...4).map(Self.name)
        for name in names { try fixture.segment(name, size: 4 << 20) }
        let sidecar = try await SidecarProcess.start(
            binary: binary, arguments: [fixture.url, Self.server, "--xz"],
            environment: ["PGDATA": fixture.data, "CLOUD_WAL_TOKEN": Self.token])
        do {
            let replies = try await withThrowingTaskGroup(of: Int.self) { group in
                for name in names { group.addTask { try await sidecar.call("/wal-push/\(name)").status } }
                // Until all four uploads have begun (the in-flight list), then SIGTERM.
                _ = try await waitUntil(timeout: .seconds(30), interval: .milliseconds(20), "four pushes in flight") {
                    let status = try? await sidecar.call("/status").text
                    return names.allSatisfy { status?.contains("\"\($0)\"") == true } ? true : nil
                }
                kill(sidecar.pid, SIGTERM)
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(replies == [200, 200, 200, 200], "in-flight pushes must be answered, not dropped")
            let exit = await sidecar.stop(grace: .seconds(60))
            #expect(exit == 0, "graceful exit status")
            #expect(fixture.archivedObjects().count == 4)
            #expect((try? await RawHTTP.request(port: sidecar.port, target: "/ping", timeout: .seconds(2))) == nil,
                    "the listener is closed after shutdown")
        } catch {
            let log = sidecar.logText()
            await sidecar.stop()
            throw HarnessError("\(error)\n--- serve log ---\n\(lastLines(log))")
        }
    }

    /// Without a token, a socket or the explicit opt-out, serve does not start: on loopback
    /// too, which other local users and containers of the pod share.
    @Test func withoutATokenItRefusesToStart() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        for address in ["0.0.0.0", "127.0.0.1"] {
            let result = try await binary.run(
                ["serve", "file:///tmp/cloudwal-never", Self.server, "--listen-address", address, "--listen-port", "1"],
                env: ["PGDATA": "/tmp/cloudwal-never"], timeout: .seconds(30))
            #expect(result.status == 3, "\(result.stderr)")
            #expect(result.stderr.contains("CLOUD_WAL_TOKEN"))
            #expect(result.stderr.contains("CLOUD_WAL_LISTEN_SOCKET"))
            #expect(result.stderr.contains("CLOUD_WAL_ALLOW_UNAUTHENTICATED"))
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        }
        let missing = try await binary.run(["serve"], env: ["PGDATA": "/tmp/cloudwal-never"], timeout: .seconds(30))
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no destination"))
    }

    /// Every long option of `wal-archive` can be set from the environment by `serve`.
    @Test func everyWALArchiveOptionHasAnEnvironmentVariable() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let help = try await binary.run(["wal-archive", "--help"]).stdout
        let pattern = try NSRegularExpression(pattern: "--([a-z0-9][a-z0-9-]*)")
        let longs = Set(pattern.matches(in: help, range: NSRange(help.startIndex..., in: help)).compactMap {
            Range($0.range(at: 1), in: help).map { String(help[$0]) }
        })
        let covered = Set(SidecarEnvironment.archiveOptions.flatMap { [$0.name] + $0.aliases.map { String($0.drop { $0 == "-" }) } })
        // `--deadline` bounds one process (serve bounds each request instead); `--parallel` and
        // `--state-dir` are the per-call look-ahead, which a long-running sidecar does not use.
        let exempt: Set<String> = ["help", "version", "test", "deadline", "parallel", "state-dir"]
        #expect(longs.count > 15, "parsed \(longs.sorted())")
        #expect(longs.subtracting(covered).subtracting(exempt).isEmpty,
                "wal-archive options without a CLOUD_WAL_ variable: \(longs.subtracting(covered).subtracting(exempt).sorted())")
    }
}
