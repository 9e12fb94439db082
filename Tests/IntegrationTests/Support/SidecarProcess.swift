import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A running `cloud-wal serve` on a free 127.0.0.1 port, started as the PostgreSQL account (as
/// the sidecar container shares PostgreSQL's uid: it must read pg_wal and write files
/// PostgreSQL can read). Always `stop()` it; `withSidecar` does.
final class SidecarProcess: Sendable {
    let port: Int
    let pid: pid_t
    let logFile: String
    /// `CLOUD_WAL_TOKEN` as started, sent by `call`.
    let token: String?
    /// `CLOUD_WAL_LISTEN_SOCKET` as started; `call` uses it when there is no token.
    let socketPath: String?
    private let logDirectory: TempDirectory

    private init(port: Int, pid: pid_t, logDirectory: TempDirectory, token: String?, socketPath: String?) {
        self.port = port
        self.pid = pid
        self.logDirectory = logDirectory
        self.logFile = logDirectory.path + "/serve.log"
        self.token = token
        self.socketPath = socketPath
    }

    /// A token for tests that need one and do not care which.
    static func makeToken() -> String { "test-token-" + String(UInt64.random(in: 0...UInt64.max), radix: 36) }

    /// Starts `binary serve arguments` with `environment` (PGDATA etc.) and waits for `/ping`.
    /// `port` fixes the port (PostgreSQL's commands already name it); otherwise a free one is
    /// picked, and another one when it was taken in the meantime.
    static func start(
        binary: TestBinary, arguments: [String], environment: [String: String], port fixedPort: Int? = nil,
        readyTimeout: Duration = .seconds(90)
    ) async throws -> SidecarProcess {
        var lastError: any Error = HarnessError("sidecar did not start")
        for _ in 1...3 {
            let port = try fixedPort ?? Network.freeLoopbackPort()
            let logs = try TempDirectory.make(prefix: "cloudwal-serve", ownedByServer: false)
            var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && !$0.key.hasPrefix("CLOUD_WAL") }
            env["CLOUD_WAL_SPOOL_DIR"] = "/tmp"
            env["NO_PROXY"] = "127.0.0.1,localhost"
            env["no_proxy"] = "127.0.0.1,localhost"
            env.merge(environment) { _, new in new }
            let argv = asServerAccount()
                + [binary.path, "serve", "--listen-address", "127.0.0.1", "--listen-port", String(port)] + arguments
            let log = logs.path + "/serve.log"
            guard FileManager.default.createFile(atPath: log, contents: Data()) else {
                logs.remove()
                throw HarnessError("cannot create \(log)")
            }
            let pid = try ProcessRunner.spawn(argv, environment: env, stdout: log, stderr: nil)
            let sidecar = SidecarProcess(
                port: port, pid: pid, logDirectory: logs, token: env["CLOUD_WAL_TOKEN"],
                socketPath: env["CLOUD_WAL_LISTEN_SOCKET"])
            do {
                try await sidecar.waitUntilReady(timeout: readyTimeout)
                return sidecar
            } catch {
                let text = sidecar.logText()
                _ = await sidecar.stop()
                lastError = HarnessError("\(error)\n--- serve log ---\n\(lastLines(text))")
                if fixedPort == nil, text.contains("Address already in use") { continue }
                throw lastError
            }
        }
        throw lastError
    }

    /// `setpriv` rather than the account's `runuser` prefix: runuser forks and, on SIGTERM,
    /// kills its child after two seconds, which would cut graceful shutdown short; setpriv
    /// execs, so the pid is the server's own and signals reach it directly.
    private static func asServerAccount() -> [String] {
        let account = ServerAccount.current
        guard !account.commandPrefix.isEmpty else { return [] }
        return ["/usr/bin/setpriv", "--reuid=\(account.uid)", "--regid=\(account.gid)", "--init-groups", "--"]
    }

    private func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let reply = try? await RawHTTP.request(port: port, target: "/ping", timeout: .seconds(2)),
               reply.status == 200, reply.text == "pong\n" {
                // The socket is published just after it is bound; TCP may come first.
                guard let socketPath else { return }
                if let reply = try? await RawHTTP.request(.unix(socketPath), target: "/ping", timeout: .seconds(2)),
                   reply.status == 200 {
                    return
                }
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw HarnessError("cloud-wal serve exited during start-up (status \(status))")
            }
            guard ContinuousClock.now < deadline else { throw HarnessError("cloud-wal serve did not answer /ping within \(timeout)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A request over TCP with exactly the token given (none by default).
    func get(_ target: String, token: String? = nil, method: String = "GET") async throws -> RawHTTP.Reply {
        try await RawHTTP.request(port: port, method: method, target: target,
                                  headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:])
    }

    /// An authorised request: over TCP with the sidecar's token, or else over its UNIX socket.
    func call(_ target: String, method: String = "GET") async throws -> RawHTTP.Reply {
        if token == nil, let socketPath {
            return try await RawHTTP.request(.unix(socketPath), method: method, target: target)
        }
        return try await get(target, token: token, method: method)
    }

    /// SIGTERM (graceful shutdown), then the exit status; SIGKILL after `grace`. Idempotent.
    @discardableResult
    func stop(grace: Duration = .seconds(20)) async -> Int32? {
        defer { logDirectory.remove() }
        kill(-pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return (status >> 8) & 0xff }
            if reaped < 0 { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill(-pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        return nil
    }

    func logText() -> String {
        String(decoding: FileManager.default.contents(atPath: logFile) ?? Data(), as: UTF8.self)
    }
}

/// Runs `body` with a started sidecar and always stops it.
func withSidecar<T: Sendable>(
    isolation: isolated (any Actor)? = #isolation,
    binary: TestBinary, arguments: [String], environment: [String: String], port: Int? = nil,
    _ body: (SidecarProcess) async throws -> T
) async throws -> T {
    let sidecar = try await SidecarProcess.start(binary: binary, arguments: arguments, environment: environment, port: port)
    do {
        let value = try await body(sidecar)
        await sidecar.stop()
        return value
    } catch {
        let log = sidecar.logText()
        await sidecar.stop()
        throw HarnessError("\(error)\n--- serve log ---\n\(lastLines(log))")
    }
}
