import Foundation
import Testing

/// Slow, idle and too many clients against the real `cloud-wal serve`: each is cut off or
/// refused within a bound, and `/ping` (and so `archive_command`) keeps being answered.
///
/// The bounds are loose on purpose (a 2 s deadline checked against 30 s): the machine running
/// the suite may be loaded; what matters is that a connection is closed at all, not when.
@Suite("Sidecar slow clients and the connection cap (cloud-wal serve)", .serialized)
struct SidecarSlowClientTests {
    static let server = "pg1"
    typealias Fixture = SidecarSafetyTests.Fixture

    @Test func aSlowlorisAndIdleConnectionsAreCutOffWhilePingAnswers() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let fixture = try Fixture()
        defer { fixture.remove() }
        let token = SidecarProcess.makeToken()
        let env = [
            "PGDATA": fixture.data, "CLOUD_WAL_TOKEN": token,
            "CLOUD_WAL_HEADER_TIMEOUT": "5", "CLOUD_WAL_IDLE_TIMEOUT": "10",
        ]
        try await withSidecar(binary: binary, arguments: [fixture.url, Self.server], environment: env) { sidecar in
            let endpoint = RawHTTP.Endpoint.tcp(sidecar.port)
            // 16 slowloris clients: a request line, then one header byte a second, never done;
            // each byte would reset a plain idle timer.
            let slow = try (0..<16).map { _ in try HeldConnection(endpoint) }
            for connection in slow { connection.send("GET /wal-fetch/\(SidecarSafetyTests.name(1)) HTTP/1.1\r\nHost: x\r\nX-") }
            // 8 idle clients that never send a byte.
            let idle = try (0..<8).map { _ in try HeldConnection(endpoint) }
            let start = ContinuousClock.now

            let trickle = Task {
                for _ in 0..<60 {
                    try await Task.sleep(for: .seconds(1))
                    for connection in slow { connection.send("a") }
                }
            }
            // During the attack, /ping answers (each within its own deadline: on a machine loaded
            // by the other suites one answer may take seconds, which says nothing about the cut-off).
            var pings = 0
            while pings < 2 || ContinuousClock.now - start < .seconds(3) {
                let reply = try await RawHTTP.request(port: sidecar.port, target: "/ping", timeout: .seconds(20))
                #expect(reply.status == 200)
                pings += 1
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(pings >= 2)

            for connection in slow {
                let received = await connection.waitForClose(timeout: .seconds(30))
                #expect(received != nil, "a slowloris connection was still open after 30 s (header timeout 5 s)")
                #expect(String(decoding: received ?? [], as: UTF8.self).contains("200") == false, "no answer for a half request")
            }
            // Bounded, generously: the header timeout is 5 s, the waits above 30 s each at most.
            #expect(ContinuousClock.now - start < .seconds(150))
            for connection in idle {
                #expect(await connection.waitForClose(timeout: .seconds(30)) != nil,
                        "an idle connection was still open after 30 s (idle timeout 10 s)")
            }
            // Stopped before the descriptors close, so no byte goes to a reused one.
            trickle.cancel()
            _ = await trickle.result
            for connection in slow + idle { connection.close() }

            // A client that completes its request in time is unaffected, and may keep its
            // connection between requests (until the idle timeout).
            let kept = try HeldConnection(endpoint)
            #expect(try await kept.exchange("/ping").status == 200)
            #expect(try await kept.exchange("/status", headers: ["Authorization": "Bearer \(token)"]).status == 200)
            #expect(await kept.waitForClose(timeout: .seconds(30)) != nil, "closed once idle")
            kept.close()
            #expect(try await sidecar.get("/ping").status == 200)
        }
    }

    @Test func theConnectionCapRefusesTheExcessAtOnceAndFreesSlots() async throws {
        let workspace = try SidecarWorkspace()
        defer { workspace.remove() }
        let (binary, fixture, sockets) = (workspace.binary, workspace.fixture, workspace.sockets)
        let socket = sockets.path + "/s"
        let token = SidecarProcess.makeToken()
        let env = [
            "PGDATA": fixture.data, "CLOUD_WAL_TOKEN": token, "CLOUD_WAL_LISTEN_SOCKET": socket,
            "CLOUD_WAL_MAX_CONNECTIONS": "4", "CLOUD_WAL_IDLE_TIMEOUT": "300", "CLOUD_WAL_HEADER_TIMEOUT": "300",
        ]
        try await withSidecar(binary: binary, arguments: [fixture.url, Self.server], environment: env) { sidecar in
            let endpoint = RawHTTP.Endpoint.tcp(sidecar.port)
            // Four kept-alive connections, each proven accepted by one answered request. The
            // start-up pings may still hold a slot for a moment, so a refusal is retried.
            var held: [HeldConnection] = []
            while held.count < 4 {
                let connection = try HeldConnection(endpoint)
                let reply = try await connection.exchange("/ping")
                if reply.status == 200 {
                    held.append(connection)
                } else {
                    #expect(reply.status == 503)
                    connection.close()
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            // The fifth is answered 503 at once, not queued.
            let start = ContinuousClock.now
            let refused = try await RawHTTP.request(port: sidecar.port, target: "/ping", timeout: .seconds(20))
            #expect(refused.status == 503)
            #expect(refused.text.contains("too many connections"))
            #expect(ContinuousClock.now - start < .seconds(15))
            for _ in 0..<5 {
                #expect(try await RawHTTP.request(port: sidecar.port, target: "/ping", timeout: .seconds(20)).status == 503)
            }
            // The UNIX socket has its own slots: archive_command on it still gets through.
            #expect(try await RawHTTP.request(.unix(socket), target: "/ping").status == 200)
            try fixture.segment(SidecarSafetyTests.name(1))
            #expect(try await RawHTTP.request(.unix(socket), target: "/wal-push/\(SidecarSafetyTests.name(1))").status == 200)

            // Closing one frees a slot.
            held.removeLast().close()
            let freed = try await waitUntil(timeout: .seconds(90), "a slot to be freed") { () -> Int? in
                let status = try await RawHTTP.request(port: sidecar.port, target: "/ping", timeout: .seconds(20)).status
                return status == 200 ? status : nil
            }
            #expect(freed == 200)
            for connection in held { #expect(try await connection.exchange("/ping").status == 200, "held ones still served") }
            for connection in held { connection.close() }
        }
    }
}
