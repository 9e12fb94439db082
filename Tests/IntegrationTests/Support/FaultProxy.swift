import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One scripted fault of `Fakes/fault_proxy.py` (see that file for what each action does).
struct FaultRule: Sendable, Encodable {
    enum Action: String, Sendable, Encodable {
        case respond, resetBeforeHead = "reset_before_head", resetRequestBody = "reset_request_body"
        case resetMidBody = "reset_mid_body", resetAfterBody = "reset_after_body"
        case stallHead = "stall_head", stallMidBody = "stall_mid_body", truncate, corrupt
        case corruptRequest = "corrupt_request", dropReply = "drop_reply"
        /// Forwarded after `seconds`, then answered normally: a slow request, not a fault.
        case delay
    }

    let id: String
    /// Regex matched against the whole method.
    let method: String
    /// Regex searched in the request target (path and query).
    let path: String
    let action: Action
    /// Matching requests let through before the rule fires.
    var skip = 0
    /// How many matching requests it fires on; 0 = every one after `skip`.
    var times = 1
    var status: Int?
    var body: String?
    var headers: [String: String]?
    /// Bytes of the body sent (or read, for `reset_request_body`) before the fault.
    var after: Int?
    var offset: Int?
    /// For `reset_before_head` and `stall_head`: forward first, so the store acts on the request.
    var forward: Bool?
    /// For `delay`: how long the request is held before it is forwarded.
    var seconds: Double?
}

/// What the proxy saw and did: one entry per request, plus a `stall_ended` entry when a held
/// connection ends (with how long the client waited before giving up).
struct FaultEvent: Sendable, Decodable {
    let method: String?
    let path: String?
    let rule: String?
    let action: String?
    let status: Int?
    let clientClosedAfter: Double?

    enum CodingKeys: String, CodingKey {
        case method, path, rule, action, status
        case clientClosedAfter = "client_closed_after"
    }
}

/// `Tests/IntegrationTests/Fakes/fault_proxy.py` on a free 127.0.0.1 port in front of `upstream`.
///
/// Started like `MotoServer`, as a `ServerProcess` (watchdog, hard cap, own process group). Rules and events go through the
/// proxy's own `/__fault/` routes with curl. One proxy serves a whole suite: rules match paths
/// that hold a test's own bucket, so parallel tests never trip over each other's faults.
actor FaultProxy: ProcessBackedServer {
    nonisolated let process: ServerProcess
    nonisolated let upstreamPort: Int

    nonisolated var endpoint: String { "http://127.0.0.1:\(port)" }

    private init(process: ServerProcess, upstreamPort: Int) {
        self.process = process
        self.upstreamPort = upstreamPort
    }

    static var script: String { TestBinary.packageRoot() + "/Tests/IntegrationTests/Fakes/fault_proxy.py" }

    static func start(upstreamPort: Int, readyTimeout: Duration = .seconds(90)) async throws -> FaultProxy {
        // Debian's python3: the proxy needs only the standard library.
        let recipe = ServerProcess.Recipe(
            name: "the fault proxy", directoryPrefix: "cloudwal-fproxy", logName: "proxy.log",
            environment: ["PATH": "/usr/bin:/bin"], pollInterval: .milliseconds(50)
        ) { directory, ports in
            ["/usr/bin/python3", Self.script, "--port", String(ports[0]), "--upstream", "127.0.0.1:\(upstreamPort)",
             "--log", directory + "/events.jsonl"]
        }
        return try await ServerProcess.launch(
            recipe, readyTimeout: readyTimeout, wrap: { FaultProxy(process: $0, upstreamPort: upstreamPort) },
            isReady: { $0.logText().contains("listening on") })
    }

    // MARK: - Control

    private nonisolated func control(_ method: String, _ route: String, body: Data? = nil) async throws -> String {
        var args = ["-s", "--noproxy", "*", "-m", "20", "-X", method, "-w", "\n%{http_code}"]
        var bodyFile: String?
        if let body {
            let file = directory.path + "/rule-\(UInt64.random(in: 0...UInt64.max)).json"
            try body.write(to: URL(fileURLWithPath: file))
            bodyFile = file
            args += ["-H", "Content-Type: application/json", "--data-binary", "@" + file]
        }
        defer { if let bodyFile { unlink(bodyFile) } }
        let result = try await ProcessRunner.run("/usr/bin/curl", args + [endpoint + "/__fault/" + route],
                                                 timeout: .seconds(30))
        guard result.status == 0, let newline = result.stdout.lastIndex(of: "\n"),
              result.stdout[result.stdout.index(after: newline)...] == "200"
        else {
            throw HarnessError("fault proxy \(method) \(route) failed (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return String(result.stdout[..<newline])
    }

    nonisolated func add(_ rules: [FaultRule]) async throws {
        _ = try await control("POST", "rules", body: try JSONEncoder().encode(rules))
    }

    /// Every event so far, or only those of `rule`.
    nonisolated func events(rule: String? = nil) async throws -> [FaultEvent] {
        let text = try await control("GET", "events")
        let all = try JSONDecoder().decode([FaultEvent].self, from: Data(text.utf8))
        guard let rule else { return all }
        return all.filter { $0.rule == rule }
    }

    /// Requests seen whose target contains `fragment` (e.g. a bucket name), in order.
    nonisolated func requests(containing fragment: String) async throws -> [FaultEvent] {
        try await events().filter { ($0.path ?? "").contains(fragment) }
    }
}
