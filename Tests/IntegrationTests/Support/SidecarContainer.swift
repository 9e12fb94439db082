import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cloud-wal serve` in a container of the project's image, as a pod runs it: host network
/// (a pod's containers share one), PGDATA bind-mounted at the image's path, the uid of the
/// PostgreSQL that shares it (`--user`, as `runAsUser` does), the token from a mounted file.
struct SidecarContainer: Sendable {
    let podman: Podman
    let name: String
    let port: Int

    struct Mount: Sendable {
        let host: String
        let container: String
        var readOnly = false
        var argument: String { "\(host):\(container)" + (readOnly ? ":ro" : "") }
    }

    /// The image's PGDATA.
    static let dataDirectory = "/var/lib/postgresql/data"
    static let tokenPath = "/run/secrets/cloud_wal_token"

    /// Starts the container and waits until `/ping` answers on `port`.
    static func start(
        image: SidecarImage, port: Int, dataDirectory: String, tokenFile: String, mounts: [Mount] = [],
        environment: [String: String] = [:], arguments: [String]
    ) async throws -> SidecarContainer {
        let name = "cloudwal-test-\(UInt32.random(in: 0...UInt32.max))"
        let account = ServerAccount.current
        var run = [
            "run", "--detach", "--name", name, "--network=host", "--user", "\(account.uid):\(account.gid)",
            // Scheduled checks need systemd, which these machines lack; tests run them by hand.
            "--health-interval=disable",
            "--volume", Mount(host: dataDirectory, container: Self.dataDirectory).argument,
            "--volume", Mount(host: tokenFile, container: Self.tokenPath, readOnly: true).argument,
        ]
        for mount in mounts { run += ["--volume", mount.argument] }
        var env = environment
        env["WALE_LISTEN_PORT"] = String(port)
        env["CLOUD_WAL_LISTEN_ADDRESS"] = "127.0.0.1"
        env["CLOUD_WAL_TOKEN_FILE"] = Self.tokenPath
        for key in env.keys.sorted() { run += ["--env", "\(key)=\(env[key] ?? "")"] }
        try await image.podman.check(run + [image.name] + arguments, timeout: .seconds(120))
        let container = SidecarContainer(podman: image.podman, name: name, port: port)
        do {
            try await container.waitUntilReady(timeout: .seconds(90))
        } catch {
            let log = await container.logs()
            await container.remove()
            throw HarnessError("\(error)\n--- container log ---\n\(lastLines(log))")
        }
        return container
    }

    private func waitUntilReady(timeout: Duration) async throws {
        _ = try await waitUntil(timeout: timeout, interval: .milliseconds(200), "\(name) answering /ping on \(port)") {
            if let reply = try? await RawHTTP.request(port: port, target: "/ping", timeout: .seconds(2)),
               reply.status == 200, reply.text == "pong\n" {
                return true
            }
            let state = try? await podman.inspect(name, "{{.State.Status}}")
            if let state, state != "running", state != "created", state != "configured" {
                throw HarnessError("container \(name) is \(state)")
            }
            return nil
        }
    }

    func get(_ target: String, token: String?) async throws -> RawHTTP.Reply {
        let headers = token.map { ["Authorization": "Bearer \($0)"] } ?? [:]
        return try await RawHTTP.request(port: port, target: target, headers: headers)
    }

    /// The container's main process as the host sees it.
    func hostPID() async throws -> pid_t {
        let text = try await podman.inspect(name, "{{.State.Pid}}")
        guard let pid = pid_t(text), pid > 0 else { throw HarnessError("\(name) has no process (State.Pid \(text))") }
        return pid
    }

    /// Fields of /proc/<pid>/status (`Uid`, `VmRSS`, ...) of the container's process.
    func processStatus() async throws -> [String: String] {
        let pid = try await hostPID()
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/status") else {
            throw HarnessError("cannot read /proc/\(pid)/status")
        }
        var fields: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// `podman stop`: STOPSIGNAL (SIGTERM), then SIGKILL after `grace`.
    func stop(grace: Int = 120) async throws -> ProcessResult {
        try await podman.run(["stop", "--time", String(grace), name], timeout: .seconds(Int64(grace) + 60))
    }

    func exitCode() async throws -> Int {
        let text = try await podman.inspect(name, "{{.State.ExitCode}}")
        guard let code = Int(text) else { throw HarnessError("\(name): exit code \(text)") }
        return code
    }

    func logs() async -> String {
        guard let result = try? await podman.run(["logs", name], timeout: .seconds(30)) else { return "(no logs)" }
        return result.stdout + result.stderr
    }

    /// Never throws: it runs on failure paths.
    func remove() async {
        _ = try? await podman.run(["rm", "--force", "--time", "5", name], timeout: .seconds(60))
    }
}

/// Runs `body` with a started container and always removes it, also when `body` throws (then
/// with the container's log added to the error).
func withSidecarContainer<T: Sendable>(
    isolation: isolated (any Actor)? = #isolation,
    image: SidecarImage, port: Int, dataDirectory: String, tokenFile: String,
    mounts: [SidecarContainer.Mount] = [], environment: [String: String] = [:], arguments: [String],
    _ body: (SidecarContainer) async throws -> T
) async throws -> T {
    let container = try await SidecarContainer.start(
        image: image, port: port, dataDirectory: dataDirectory, tokenFile: tokenFile, mounts: mounts,
        environment: environment, arguments: arguments)
    do {
        let value = try await body(container)
        await container.remove()
        return value
    } catch {
        let log = await container.logs()
        await container.remove()
        throw HarnessError("\(error)\n--- \(container.name) log ---\n\(lastLines(log))")
    }
}
