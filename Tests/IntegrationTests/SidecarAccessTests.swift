import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Who may talk to the real `cloud-wal serve`: nobody without the token over TCP (loopback
/// included), anyone who can open the 0600 UNIX socket without one; and the socket file is
/// never put where it could be replaced or where something else already is.
@Suite("Sidecar access: token by default, the UNIX socket (cloud-wal serve)", .serialized)
struct SidecarAccessTests {
    static let server = "pg1"
    typealias Fixture = SidecarSafetyTests.Fixture

    @Test func unauthenticatedReadsWritesAndBackupsAreRefusedAndTheSocketNeedsNoToken() async throws {
        let workspace = try SidecarWorkspace()
        defer { workspace.remove() }
        let (binary, fixture, sockets) = (workspace.binary, workspace.fixture, workspace.sockets)
        let socket = sockets.path + "/cloud-wal.sock"
        let segment = SidecarSafetyTests.name(1)
        let original = try fixture.segment(segment)
        let token = SidecarProcess.makeToken()
        let env = ["PGDATA": fixture.data, "CLOUD_WAL_TOKEN": token, "CLOUD_WAL_LISTEN_SOCKET": socket]
        try await withSidecar(binary: binary, arguments: [fixture.url, Self.server], environment: env) { sidecar in
            // The socket: ours, a socket, 0600.
            var info = stat()
            #expect(lstat(socket, &info) == 0)
            #expect(info.st_mode & S_IFMT == S_IFSOCK)
            #expect(info.st_mode & 0o7777 == 0o600, "mode \(String(info.st_mode & 0o7777, radix: 8))")
            #expect(info.st_uid == ServerAccount.current.uid)
            #expect(try FileManager.default.contentsOfDirectory(atPath: sockets.path) == ["cloud-wal.sock"],
                    "the staging directory is gone")

            // Over the socket, no token: push, fetch (body and dest), status.
            #expect(try await RawHTTP.request(.unix(socket), target: "/wal-push/\(segment)").status == 200)
            let body = try await RawHTTP.request(.unix(socket), target: "/wal-fetch/\(segment)")
            #expect(body.status == 200)
            #expect(Data(body.body) == original)
            let status = try await RawHTTP.request(.unix(socket), target: "/status")
            #expect(status.text.contains("\"authentication\":{\"tcp\":\"token\",\"unix_socket\":\"\(socket)\"}"), "\(status.text)")
            #expect(status.text.contains("\"warnings\":[]"))

            // Over TCP on loopback, without the token: nothing but /ping.
            #expect(try await sidecar.get("/ping").status == 200)
            let refused = [
                "/wal-push/\(segment)", "/wal-fetch/\(segment)", "/wal-fetch/\(segment)?dest=pg_wal/RECOVERYXLOG",
                "/backup-push", "/backups", "/backups/x", "/status", "/metrics", "/%70ing", "/ping/../status",
            ]
            for target in refused {
                for method in ["GET", "POST"] {
                    let reply = try await sidecar.get(target, method: method)
                    #expect([401, 404, 405].contains(reply.status), "\(method) \(target): \(reply.status)")
                    #expect(reply.status != 200 && Data(reply.body) != original)
                }
                #expect(try await sidecar.get(target, token: "wrong").status != 200, "\(target) with a wrong token")
            }
            #expect(try await sidecar.get("/wal-fetch/\(segment)").status == 401)
            #expect(try await sidecar.get("/backup-push").status == 401)
            #expect(try await sidecar.get("/backups", method: "POST").status == 401)
            #expect(!FileManager.default.fileExists(atPath: fixture.wal + "/RECOVERYXLOG"))
            #expect(try await sidecar.get("/wal-fetch/\(segment)", token: token).body == body.body)
        }
        #expect(!FileManager.default.fileExists(atPath: socket), "removed at exit")
    }

    @Test func withOnlyTheSocketTCPServesOnlyPingAndTheOptOutIsWarned() async throws {
        let workspace = try SidecarWorkspace()
        defer { workspace.remove() }
        let (binary, fixture, sockets) = (workspace.binary, workspace.fixture, workspace.sockets)
        let socket = sockets.path + "/s"
        let segment = SidecarSafetyTests.name(1)
        try fixture.segment(segment)
        let env = ["PGDATA": fixture.data, "CLOUD_WAL_LISTEN_SOCKET": socket]
        try await withSidecar(binary: binary, arguments: [fixture.url, Self.server], environment: env) { sidecar in
            #expect(try await sidecar.get("/ping").status == 200)
            let reply = try await sidecar.get("/wal-push/\(segment)")
            #expect(reply.status == 401)
            #expect(reply.text.contains("CLOUD_WAL_LISTEN_SOCKET"))
            #expect(fixture.archivedObjects().isEmpty)
            #expect(try await sidecar.call("/wal-push/\(segment)").status == 200)
            #expect(fixture.archivedObjects().count == 1)
        }

        let optOut = ["PGDATA": fixture.data, "CLOUD_WAL_ALLOW_UNAUTHENTICATED": "true"]
        try await withSidecar(binary: binary, arguments: [fixture.url, Self.server], environment: optOut) { sidecar in
            #expect(try await sidecar.get("/wal-fetch/\(segment)").status == 200, "opted out: open")
            let status = try await sidecar.get("/status").text
            #expect(status.contains("\"tcp\":\"none\""))
            #expect(status.contains("WITHOUT a token"))
            #expect(sidecar.logText().contains("WITHOUT a token"), "warned at start")
        }
    }

    @Test func theSocketIsNeverPutWhereItCouldBeReplacedOrOverSomethingElse() async throws {
        let workspace = try SidecarWorkspace()
        defer { workspace.remove() }
        let (binary, fixture, sockets) = (workspace.binary, workspace.fixture, workspace.sockets)
        func serve(_ socket: String) async throws -> ProcessResult {
            try await binary.run(
                ["serve", fixture.url, Self.server, "--listen-address", "127.0.0.1", "--listen-port", "1", "--listen-socket", socket],
                env: ["PGDATA": fixture.data], timeout: .seconds(30))
        }
        // A regular file and a directory at the path stay as they are.
        let file = sockets.path + "/file"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: file))
        try FileManager.default.createDirectory(atPath: sockets.path + "/dir", withIntermediateDirectories: false)
        for path in [file, sockets.path + "/dir", "relative.sock", sockets.path + "/missing/s"] {
            let result = try await serve(path)
            #expect(result.status == 3, "\(path): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        }
        #expect(FileManager.default.contents(atPath: file) == Data("keep".utf8))
        // World-writable without the sticky bit: anyone could swap the socket.
        let open = try sockets.subdirectory("open")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: open)
        let refused = try await serve(open + "/s")
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("sticky"), "\(refused.stderr)")

        // A stale socket (its server gone) is replaced; a live one is not.
        let stale = sockets.path + "/stale.sock"
        try Self.leaveStaleSocket(at: stale)
        try await withSidecar(
            binary: binary, arguments: [fixture.url, Self.server],
            environment: ["PGDATA": fixture.data, "CLOUD_WAL_LISTEN_SOCKET": stale]
        ) { _ in
            #expect(try await RawHTTP.request(.unix(stale), target: "/status").status == 200)
            let second = try await serve(stale)
            #expect(second.status == 3)
            #expect(second.stderr.contains("another server is listening"), "\(second.stderr)")
            #expect(try await RawHTTP.request(.unix(stale), target: "/ping").status == 200, "the first server keeps its socket")
        }
    }

    /// A socket file nobody listens on: bound, then closed without unlinking.
    static func leaveStaleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in Array(path.utf8).enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind \(path) failed: errno \(errno)") }
        try ServerAccount.current.own(path)
    }
}
