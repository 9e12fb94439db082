import CloudWAL
import CloudWALServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// `WALOperations` that records calls and answers as told, so the routes are tested without storage.
actor StubOperations: WALOperations {
    enum Answer: Sendable {
        case archive
        case fail(WALError)
    }

    private(set) var pushes: [String] = []
    private(set) var fetches: [(String, String)] = []
    var pushAnswer: Answer = .archive
    var fetchAnswer: Answer = .archive
    var pushDelay: Duration = .zero
    /// While holding, pushes wait until `release()`: an upload that outlives any deadline,
    /// whatever the machine's load.
    private var holding = false
    private var held: [CheckedContinuation<Void, Never>] = []
    let content: [UInt8]

    init(content: [UInt8] = Array("segment-bytes".utf8)) { self.content = content }

    func set(push: Answer? = nil, fetch: Answer? = nil, pushDelay: Duration? = nil) {
        if let push { pushAnswer = push }
        if let fetch { fetchAnswer = fetch }
        if let pushDelay { self.pushDelay = pushDelay }
    }

    func hold() { holding = true }

    func release() {
        holding = false
        for waiter in held { waiter.resume() }
        held = []
    }

    func push(_ wal: WALFileName) async throws -> WALArchiver.Outcome {
        pushes.append(wal.name)
        if holding { await withCheckedContinuation { held.append($0) } }
        if pushDelay > .zero { try await Task.sleep(for: pushDelay) }
        if case .fail(let error) = pushAnswer { throw error }
        return .archived(key: "srv/wals/x/\(wal.name)", size: 16, storedSize: 8)
    }

    func fetch(_ wal: WALFileName, to path: String) async throws -> Int {
        fetches.append((wal.name, path))
        if case .fail(let error) = fetchAnswer { throw error }
        try Data(content).write(to: URL(fileURLWithPath: path))
        return content.count
    }
}

@Suite("Sidecar routes (in process, stub storage)")
struct RouteTests {
    static let segment = "000000010000000000000001"
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    struct Fixture {
        let directory: String
        var data: String { directory + "/data" }
        var spool: String { directory + "/spool" }

        init() throws {
            directory = NSTemporaryDirectory() + "cloudwal-routes-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory + "/data/pg_wal", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: directory + "/spool", withIntermediateDirectories: true)
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    func app(_ fixture: Fixture, _ operations: StubOperations, token: String? = nil, runner: (any BaseBackupRunner)? = nil,
             timeout: Duration = .seconds(30)) -> (some ApplicationProtocol, SidecarRoutes) {
        // Without a token, the operator's explicit opt-out (these tests are about the routes).
        let settings = SidecarSettings(
            listenAddress: "127.0.0.1", listenPort: 1, dataDirectory: fixture.data, token: token.flatMap(BearerToken.init),
            allowUnauthenticated: token == nil, requestTimeout: timeout, spoolDirectory: fixture.spool)
        let routes = SidecarRoutes(settings: settings, operations: operations, backupRunner: runner, logger: logger)
        return (Application(router: routes.router(), logger: logger), routes)
    }

    @Test func walPushAndFetchAnswerWhatTheLibrarySays() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let ops = StubOperations()
        let (app, _) = app(fixture, ops)
        try await app.test(.router) { client in
            for method in [HTTPRequest.Method.get, .post] {
                try await client.execute(uri: "/wal-push/\(Self.segment)", method: method) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).hasPrefix("archived \(Self.segment)"))
                }
            }
            try await client.execute(uri: "/ping", method: .get) { #expect(String(buffer: $0.body) == "pong\n") }

            // Without dest: the body is the segment, with its length; the spool file is gone after.
            try await client.execute(uri: "/wal-fetch/\(Self.segment)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentLength] == "13")
                #expect(String(buffer: response.body) == "segment-bytes")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.spool).isEmpty)

            try await client.execute(uri: "/wal-fetch/\(Self.segment)?dest=pg_wal/RECOVERYXLOG", method: .get) { response in
                #expect(response.status == .ok)
            }
            #expect(FileManager.default.contents(atPath: fixture.data + "/pg_wal/RECOVERYXLOG") == Data("segment-bytes".utf8))

            await ops.set(push: .fail(WALError(.conflict, "different content")), fetch: .fail(WALError(.notFound, "nope")))
            try await client.execute(uri: "/wal-push/\(Self.segment)", method: .get) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body) == "different content\n")
            }
            try await client.execute(uri: "/wal-fetch/\(Self.segment)", method: .get) { #expect($0.status == .notFound) }
            await ops.set(push: .fail(WALError(.storage(.unreachable), "connection refused")))
            try await client.execute(uri: "/wal-push/\(Self.segment)", method: .post) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/status", method: .get) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("\"last_failed\":{\"segment\":\"\(Self.segment)\""))
                #expect(body.contains("connection refused"))
                #expect(body.contains("\"last_archived\":{\"segment\":\"\(Self.segment)\""))
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("cloud_wal_requests_total{operation=\"wal_push\",result=\"archived\"} 2"))
                #expect(body.contains("cloud_wal_failures_total{operation=\"wal_push\",reason=\"conflict\"} 1"))
                #expect(body.contains("cloud_wal_failures_total{operation=\"wal_push\",reason=\"unreachable\"} 1"))
                #expect(body.contains("cloud_wal_fetched_bytes_total 26"))
                #expect(body.contains("cloud_wal_request_duration_seconds_count{operation=\"wal_push\"} 4"))
            }
        }
    }

    @Test(arguments: [
        "/wal-push/foo", "/wal-push/..%2F..%2Fetc%2Fpasswd", "/wal-fetch/postgresql.conf",
        "/wal-fetch/\(segment)?dest=/etc/passwd", "/wal-fetch/\(segment)?dest=../escape",
        "/wal-fetch/\(segment)?dest=pg_wal/../../escape", "/wal-fetch/\(segment)?dest=nodir/x",
        "/wal-fetch/\(segment)?dest=global/pg_control", "/wal-fetch/\(segment)?dest=pg_wal",
        "/wal-fetch/\(segment)?dest=pg_wal/RECOVERYXLOG&dest=pg_wal/RECOVERYHISTORY",
        "/wal-fetch/\(segment)?dest=pg_wal/000000010000000000000002",
    ])
    func badRequestsAre400AndTouchNothing(uri: String) async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let ops = StubOperations()
        let (app, _) = app(fixture, ops)
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(!String(buffer: response.body).isEmpty)
            }
        }
        #expect(await ops.pushes.isEmpty)
        #expect(await ops.fetches.isEmpty)
    }

    @Test func theTokenGuardsEverythingButPing() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let ops = StubOperations()
        let (app, _) = app(fixture, ops, token: "secret")
        try await app.test(.router) { client in
            try await client.execute(uri: "/ping", method: .get) { #expect($0.status == .ok) }
            for uri in ["/wal-push/\(Self.segment)", "/wal-fetch/\(Self.segment)?dest=pg_wal/X", "/status", "/metrics",
                        "/backup-push"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(uri) without a token")
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer wrong"]) {
                    #expect($0.status == .unauthorized, "\(uri) with a wrong token")
                }
            }
            #expect(await ops.pushes.isEmpty)
            #expect(await ops.fetches.isEmpty)
            try await client.execute(uri: "/wal-push/\(Self.segment)", method: .get, headers: [.authorization: "Bearer secret"]) {
                #expect($0.status == .ok)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.data + "/pg_wal/X"))
        #expect(await ops.pushes == [Self.segment])
    }

    /// What is already at `dest` decides: nothing or an old RECOVERYXLOG is fine, anything
    /// else (a symlink, a directory, a FIFO, an existing WAL file) is 409 and left as it was.
    @Test func destReplacesOnlyAPreviousScratchFile() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let fm = FileManager.default
        let wal = fixture.data + "/pg_wal"
        try Data("old".utf8).write(to: URL(fileURLWithPath: wal + "/RECOVERYXLOG"))
        try fm.createSymbolicLink(atPath: wal + "/RECOVERYHISTORY", withDestinationPath: fixture.data + "/target")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: fixture.data + "/target"))
        try fm.createDirectory(atPath: wal + "/" + Self.segment, withIntermediateDirectories: false)
        let existing = "000000010000000000000002"
        try Data("live segment".utf8).write(to: URL(fileURLWithPath: wal + "/" + existing))
        let ops = StubOperations()
        let (app, _) = app(fixture, ops)
        try await app.test(.router) { client in
            try await client.execute(uri: "/wal-fetch/\(Self.segment)?dest=pg_wal/RECOVERYXLOG", method: .get) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/wal-fetch/\(Self.segment)?dest=pg_wal/RECOVERYHISTORY", method: .get) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains("symlink"))
            }
            try await client.execute(uri: "/wal-fetch/\(Self.segment)?dest=pg_wal/\(Self.segment)", method: .get) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains("directory"))
            }
            try await client.execute(uri: "/wal-fetch/\(existing)?dest=pg_wal/\(existing)", method: .get) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains("never replaced"))
            }
        }
        #expect(fm.contents(atPath: wal + "/RECOVERYXLOG") == Data("segment-bytes".utf8))
        #expect(try fm.destinationOfSymbolicLink(atPath: wal + "/RECOVERYHISTORY") == fixture.data + "/target")
        #expect(fm.contents(atPath: fixture.data + "/target") == Data("keep".utf8))
        #expect(fm.contents(atPath: wal + "/" + existing) == Data("live segment".utf8))
        // Refused before anything was fetched; no temporary file left behind.
        #expect(await ops.fetches.count == 1)
        #expect(try fm.contentsOfDirectory(atPath: wal).filter { $0.hasPrefix(".") }.isEmpty)
        #expect(try fm.contentsOfDirectory(atPath: fixture.spool).isEmpty)
    }

    @Test func withoutATokenOrOptOutTCPServesOnlyPing() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let ops = StubOperations()
        let settings = SidecarSettings(
            listenAddress: "127.0.0.1", listenPort: 1, socketPath: "/run/cloud-wal.sock", dataDirectory: fixture.data,
            spoolDirectory: fixture.spool)
        let routes = SidecarRoutes(settings: settings, operations: ops, backupRunner: nil, logger: logger)
        try await Application(router: routes.router(), logger: logger).test(.router) { client in
            try await client.execute(uri: "/ping", method: .get) { #expect($0.status == .ok) }
            for uri in ["/wal-push/\(Self.segment)", "/wal-fetch/\(Self.segment)", "/status", "/metrics", "/backups"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(uri)")
                    #expect(String(buffer: response.body).contains("CLOUD_WAL_LISTEN_SOCKET"))
                }
            }
        }
        // The socket's router is open.
        try await Application(router: routes.router(access: .open), logger: logger).test(.router) { client in
            try await client.execute(uri: "/status", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"authentication\":{\"tcp\":\"ping only\",\"unix_socket\":\"/run/cloud-wal.sock\"}"))
            }
        }
        #expect(await ops.pushes.isEmpty)
        #expect(await ops.fetches.isEmpty)
    }

    @Test func theOptOutIsWarnedAboutInStatus() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (app, _) = app(fixture, StubOperations())
        try await app.test(.router) { client in
            try await client.execute(uri: "/status", method: .get) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("\"tcp\":\"none\""))
                #expect(body.contains("WITHOUT a token"))
            }
        }
    }

    @Test func concurrentPushesOfOneSegmentShareOneUpload() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let ops = StubOperations()
        await ops.set(pushDelay: .milliseconds(300))
        let (app, routes) = app(fixture, ops)
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await client.execute(uri: "/wal-push/\(Self.segment)", method: .get).status }
                }
                for try await status in group { #expect(status == .ok) }
            }
        }
        #expect(await ops.pushes.count == 1)
        #expect(await routes.activity.prometheusText().contains("cloud_wal_pushes_joined_total 15"))
    }

    @Test func aSlowPushAnswers503AtTheDeadlineAndKeepsGoing() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let ops = StubOperations()
        // The push waits until released, so only the 100 ms deadline can answer it: no wall-clock
        // bound in the test, which other suites loading the cores would make flaky.
        await ops.hold()
        let (app, routes) = app(fixture, ops, timeout: .milliseconds(100))
        try await app.test(.router) { client in
            try await client.execute(uri: "/wal-push/\(Self.segment)", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("deadline"))
            }
        }
        // The upload itself was not abandoned: it is still running, and finishes once released.
        #expect(await routes.pushes.keys == [Self.segment])
        await ops.release()
        await routes.pushes.drain()
        #expect(await routes.pushes.keys.isEmpty)
        #expect(await ops.pushes.count == 1)
    }

    @Test func backupsAre501WithoutARunnerAndTrackedWithOne() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (bare, _) = app(fixture, StubOperations())
        try await bare.test(.router) { client in
            try await client.execute(uri: "/backup-push", method: .get) { #expect($0.status == .notImplemented) }
            try await client.execute(uri: "/backups", method: .post) { #expect($0.status == .notImplemented) }
        }

        let runner = GatedBackupRunner()
        let (app, _) = app(fixture, StubOperations(), runner: runner)
        try await app.test(.router) { client in
            let location = try await client.execute(uri: "/backups?name=first", method: .post) { response in
                #expect(response.status == .accepted)
                #expect(String(buffer: response.body).contains("\"state\":\"running\""))
                return response.headers[.location]
            }
            let path = try #require(location)
            #expect(path.hasPrefix("/backups/"))
            await runner.waitForCall(1)
            try await client.execute(uri: "/backups", method: .post) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/backup-push", method: .get) { #expect($0.status == .conflict) }
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"state\":\"running\""))
            }
            await runner.release()
            try await waitFor { try await client.execute(uri: path, method: .get) { String(buffer: $0.body) }.contains("\"state\":\"done\"") }
            try await client.execute(uri: path, method: .get) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("\"backup_id\":\"20261122T000000\""))
                #expect(body.contains("\"name\":\"first\""))
            }
            try await client.execute(uri: "/backups/unknown", method: .get) { #expect($0.status == .notFound) }

            // GET /backup-push waits for the backup, like the WAL-E sidecar.
            async let waited = client.execute(uri: "/backup-push", method: .get) { ($0.status, String(buffer: $0.body)) }
            await runner.waitForCall(2)
            await runner.release()
            let (status, body) = try await waited
            #expect(status == .ok)
            #expect(body.contains("\"state\":\"done\""))
            #expect(await runner.calls == ["first", nil])
        }
    }

    private func waitFor(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
