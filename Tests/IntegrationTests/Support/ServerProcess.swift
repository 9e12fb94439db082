import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One test server process (moto, SeaweedFS, fake-gcs-server, the Azure fake, the fault proxy) on
/// free 127.0.0.1 ports, with its own directory and log file.
///
/// It runs under a shell watchdog that kills it as soon as the test process is gone (even after
/// SIGKILL, then also removing its directory) and under `timeout` as a hard cap, all in one process
/// group so `stop()` takes down the whole tree. The server types wrap one of these and keep only
/// what is theirs: the command line, the readiness probe and the inspection helpers.
actor ServerProcess {
    /// How to start one kind of server.
    struct Recipe: Sendable {
        /// The server's name in harness errors ("moto_server").
        var name: String
        /// The prefix of its directory under /tmp.
        var directoryPrefix: String
        /// Its log file, inside the directory.
        var logName: String
        /// How many free ports it needs (each given to it explicitly).
        var portCount = 1
        var environment: [String: String]
        /// Between two readiness probes.
        var pollInterval: Duration = .milliseconds(100)
        /// How long `stop()` lets the server exit on SIGTERM before SIGKILL.
        var stopGrace: Duration = .seconds(5)
        /// The server's argv, given its directory and ports; run under the watchdog.
        var command: @Sendable (_ directory: String, _ ports: [Int]) -> [String]
    }

    nonisolated let name: String
    nonisolated let directory: TempDirectory
    nonisolated let logFile: String
    /// The ports of the recipe, in its order.
    nonisolated let ports: [Int]
    private let pid: pid_t
    private let stopGrace: Duration
    /// The watchdog has exited and been reaped (the server died during start-up).
    private var reaped = false
    private var stopped = false

    private init(name: String, directory: TempDirectory, logFile: String, ports: [Int], pid: pid_t, stopGrace: Duration) {
        self.name = name
        self.directory = directory
        self.logFile = logFile
        self.ports = ports
        self.pid = pid
        self.stopGrace = stopGrace
    }

    nonisolated var port: Int { ports[0] }

    /// Starts the server, wraps it as `wrap` says and waits until `isReady` says yes. A port
    /// taken between probing and binding (the log says "address already in use") is retried with
    /// new ports, up to three starts.
    static func launch<Server: Sendable>(
        _ recipe: Recipe, readyTimeout: Duration,
        wrap: @Sendable (ServerProcess) -> Server,
        isReady: @Sendable (Server) async throws -> Bool
    ) async throws -> Server {
        var lastError: Error = HarnessError("\(recipe.name) did not start")
        for _ in 1...3 {
            let process = try start(recipe)
            let server = wrap(process)
            do {
                try await process.waitUntilReady(timeout: readyTimeout, interval: recipe.pollInterval) {
                    try await isReady(server)
                }
                return server
            } catch {
                let text = process.logText()
                await process.stop()
                lastError = error
                if text.lowercased().contains("address already in use") { continue }
                throw error
            }
        }
        throw lastError
    }

    private static func start(_ recipe: Recipe) throws -> ServerProcess {
        let dir = try TempDirectory.make(prefix: recipe.directoryPrefix, ownedByServer: false)
        var ports: [Int] = []
        while ports.count < recipe.portCount {
            let port = try Network.freeLoopbackPort()
            if !ports.contains(port) { ports.append(port) }
        }
        let log = dir.path + "/" + recipe.logName
        guard FileManager.default.createFile(atPath: log, contents: Data()) else {
            dir.remove()
            throw HarnessError("cannot write into \(dir.path)")
        }
        let maxSeconds = ProcessInfo.processInfo.environment["CLOUD_WAL_MOTO_MAX_SECONDS"] ?? "1800"
        let pid: pid_t
        do {
            pid = try BackgroundProcess.spawn(
                ["/bin/sh", "-c", watchdogScript, "\(recipe.directoryPrefix)-watchdog", String(getpid()), maxSeconds, dir.path]
                    + recipe.command(dir.path, ports),
                environment: recipe.environment, log: log)
        } catch {
            dir.remove()
            throw error
        }
        return ServerProcess(name: recipe.name, directory: dir, logFile: log, ports: ports, pid: pid, stopGrace: recipe.stopGrace)
    }

    /// Runs the server ($4 on, capped by `timeout` at $2 seconds) and kills it when the test
    /// process ($1) is gone (then also removing its directory, $3) or when the watchdog is told
    /// to stop.
    private static let watchdogScript = """
        pid="$1"; cap="$2"; dir="$3"; shift 3
        timeout --foreground -s KILL "$cap" "$@" & m=$!
        trap 'kill $m 2>/dev/null; wait $m; exit 0' TERM INT HUP
        while kill -0 "$pid" 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 1 & wait $!; done
        kill $m 2>/dev/null; sleep 1; kill -9 $m 2>/dev/null
        kill -0 "$pid" 2>/dev/null || rm -rf "$dir"
        exit 0
        """

    private func waitUntilReady(
        timeout: Duration, interval: Duration, _ isReady: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await isReady() { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                throw HarnessError("\(name) exited during start-up\n--- \(logFile) ---\n\(lastLines(logText()))")
            }
            if ContinuousClock.now >= deadline {
                throw HarnessError("\(name) did not answer on 127.0.0.1:\(port) within \(timeout)\n"
                                   + "--- \(logFile) ---\n\(lastLines(logText()))")
            }
            try await Task.sleep(for: interval)
        }
    }

    /// Stops the server (whole process group) and removes its directory. Idempotent, never throws.
    func stop() async {
        guard !stopped else { return }
        stopped = true
        defer { directory.remove() }
        guard !reaped else { return }
        await ProcessRunner.stopProcessGroup(pid, grace: stopGrace)
    }

    nonisolated func logText() -> String {
        String(decoding: FileManager.default.contents(atPath: logFile) ?? Data(), as: UTF8.self)
    }
}
