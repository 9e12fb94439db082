import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The test venv (`scripts/install-deps.sh` creates it): its python, moto_server and barman-cloud.
enum TestVenv {
    static let setupHint = """
        run scripts/install-deps.sh (it creates .venv-test with moto[server], boto3 and barman 3.19.1) \
        or set CLOUD_WAL_PYTHON to a venv python that has them
        """

    /// `$CLOUD_WAL_PYTHON`, else `<package root>/.venv-test/bin/python` (same rule as the codec tests).
    static var python: String {
        if let path = ProcessInfo.processInfo.environment["CLOUD_WAL_PYTHON"], !path.isEmpty { return path }
        return TestBinary.packageRoot() + "/.venv-test/bin/python"
    }

    /// The venv's bin directory (not symlink-resolved: venv scripts live beside the python link).
    static var binDirectory: String { (python as NSString).deletingLastPathComponent }

    /// Path of a console script of the venv, or a clear error if it is not installed.
    static func tool(_ name: String) throws -> String {
        let path = binDirectory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("\(path) not found: \(setupHint)")
        }
        return path
    }
}

/// A moto S3 (+IAM) server on a free 127.0.0.1 port, for CLI-level S3 tests.
///
/// A `ServerProcess`: under a shell watchdog that kills moto as soon as the test process is gone
/// (even after SIGKILL) and under `timeout` as a hard cap, in its own process group so `stop()`
/// takes down the whole tree. Use `withMotoServer`, which always stops it.
///
/// Object inspection goes through `Fakes/s3_inspect.py` (boto3) run with the venv python, signed
/// with the same credentials the tools get from `environment`.
///
/// Auth mode (`auth: true`): moto checks SigV4 signatures. The first three requests (IAM user,
/// access key, s3:* policy) are let through unauthenticated; `environment` then carries that
/// user's real key. Caveat (moto 5.2.1 bug): in auth mode any request whose query string holds an
/// encoded `/` (e.g. ListObjectsV2 with `Prefix=a/b`) fails with SignatureDoesNotMatch, so only
/// PUT/GET/HEAD/HeadBucket work reliably there, and `keys(bucket:prefix:)` does not.
actor MotoServer: SuiteServer {
    struct Credentials: Sendable {
        let accessKeyID: String
        let secretAccessKey: String
    }

    /// HEAD of an object, reduced to what the tests check.
    struct ObjectHead: Sendable, Decodable {
        /// User metadata without the `x-amz-meta-` prefix, keys lower-case.
        let metadata: [String: String]
        /// `x-amz-server-side-encryption`, if any.
        let serverSideEncryption: String?
        let kmsKeyID: String?
        let contentLength: Int
        /// Raw response headers, names lower-case.
        let headers: [String: String]
    }

    nonisolated let process: ServerProcess
    nonisolated let endpoint: String
    nonisolated let credentials: Credentials
    nonisolated let authMode: Bool
    nonisolated let region = "us-east-1"

    private init(process: ServerProcess, credentials: Credentials, authMode: Bool) {
        self.process = process
        self.endpoint = "http://127.0.0.1:\(process.port)"
        self.credentials = credentials
        self.authMode = authMode
    }


    /// What a client (ours, barman, boto3) needs to talk to this server. Isolated from the
    /// developer's ~/.aws and any proxy. (ProcessRunner can only add variables, so a developer's
    /// AWS_PROFILE / AWS_SESSION_TOKEN would still leak through; CI has neither.)
    nonisolated var environment: [String: String] {
        Self.clientEnvironment(credentials: credentials, region: region)
    }

    /// `environment` with another secret (for "wrong credentials are refused" tests).
    nonisolated func environment(secret: String) -> [String: String] {
        var env = environment
        env["AWS_SECRET_ACCESS_KEY"] = secret
        return env
    }

    static func clientEnvironment(credentials: Credentials, region: String = "us-east-1") -> [String: String] {
        [
            "AWS_ACCESS_KEY_ID": credentials.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": credentials.secretAccessKey,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        ]
    }

    static let defaultCredentials = Credentials(accessKeyID: "testing", secretAccessKey: "testing")

    // MARK: - Lifecycle

    /// Starts moto and waits until it accepts connections (and, in auth mode, until the IAM user exists).
    static func start(auth: Bool = false, readyTimeout: Duration = .seconds(60)) async throws -> MotoServer {
        let python = TestVenv.python
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw HarnessError("test venv python \(python) not found: \(TestVenv.setupHint)")
        }
        let motoServer = try TestVenv.tool("moto_server")
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && !$0.key.hasPrefix("AWS_") }
        env.merge(clientEnvironment(credentials: defaultCredentials)) { _, new in new }
        // Auth mode: let exactly the three IAM set-up calls through without a signature check.
        if auth { env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3" }
        let recipe = ServerProcess.Recipe(
            name: "moto_server", directoryPrefix: "cloudwal-moto", logName: "moto.log",
            environment: env
        ) { _, ports in [motoServer, "-H", "127.0.0.1", "-p", String(ports[0])] }
        let provisional = try await ServerProcess.launch(
            recipe, readyTimeout: readyTimeout,
            wrap: { MotoServer(process: $0, credentials: Self.defaultCredentials, authMode: auth) },
            isReady: { Self.canConnect(port: $0.port) })
        guard auth else { return provisional }
        do {
            // Same process, real credentials from now on.
            let creds = try await provisional.createIAMUser()
            return MotoServer(process: provisional.process, credentials: creds, authMode: true)
        } catch {
            await provisional.stop()
            throw error
        }
    }

    private static func canConnect(port: Int) -> Bool {
        #if os(Linux)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return rc == 0
    }

    // MARK: - S3 helpers (boto3 through the venv python)

    /// Runs `Fakes/s3_inspect.py` against moto with this server's credentials; exit 10 means
    /// "no such object".
    nonisolated func helper(_ args: [String], timeout: Duration = .seconds(60)) async throws -> ProcessResult {
        try await S3Inspector(endpoint: endpoint, environment: environment).run(args, timeout: timeout)
    }

    @discardableResult
    private nonisolated func checkedHelper(_ args: [String]) async throws -> ProcessResult {
        let result = try await helper(args)
        guard result.succeeded else {
            throw HarnessError("s3 helper \(args.joined(separator: " ")) failed (\(result.status), timedOut \(result.timedOut)): "
                               + "\(lastLines(result.stderr, lines: 8))\n--- moto log ---\n\(lastLines(logText(), lines: 10))")
        }
        return result
    }

    private func createIAMUser() async throws -> Credentials {
        let out = try await checkedHelper(["iam-setup"]).stdout
        let fields = out.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 2 else { throw HarnessError("unexpected iam-setup output: \(out)") }
        return Credentials(accessKeyID: fields[0], secretAccessKey: fields[1])
    }

    nonisolated func createBucket(_ name: String) async throws {
        try await checkedHelper(["create-bucket", name])
    }

    /// A fresh, valid bucket name (3-63 chars, lower-case) with `hint` in it; not created.
    nonisolated func uniqueBucketName(_ hint: String = "t") -> String {
        let cleaned = hint.lowercased().map { ($0.isLetter && $0.isASCII) || $0.isNumber ? $0 : "-" }
        let head = String(String(cleaned).prefix(40)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "cw-\(head.isEmpty ? "b" : head)-\(suffix)"
    }

    /// Creates a bucket with a fresh name and returns the name.
    nonisolated func makeBucket(_ hint: String = "t") async throws -> String {
        let name = uniqueBucketName(hint)
        try await createBucket(name)
        return name
    }

    /// The stored bytes of an object, or nil if it does not exist.
    nonisolated func objectData(bucket: String, key: String) async throws -> Data? {
        let tmp = try TempDirectory.make(prefix: "cloudwal-get", ownedByServer: false)
        defer { tmp.remove() }
        let dest = tmp.path + "/object"
        let result = try await helper(["get", bucket, key, dest])
        if result.status == 10 { return nil }
        guard result.succeeded else {
            throw HarnessError("s3 get \(bucket)/\(key) failed (\(result.status)): \(lastLines(result.stderr, lines: 8))")
        }
        guard let data = FileManager.default.contents(atPath: dest) else { throw HarnessError("s3 get wrote nothing") }
        return data
    }

    /// HEAD of an object, or nil if it does not exist.
    nonisolated func head(bucket: String, key: String) async throws -> ObjectHead? {
        let result = try await helper(["head", bucket, key])
        if result.status == 10 { return nil }
        guard result.succeeded else {
            throw HarnessError("s3 head \(bucket)/\(key) failed (\(result.status)): \(lastLines(result.stderr, lines: 8))")
        }
        return try JSONDecoder().decode(ObjectHead.self, from: Data(result.stdout.utf8))
    }

    /// The object's tag set (S3 object tagging).
    nonisolated func tags(bucket: String, key: String) async throws -> [String: String] {
        let result = try await checkedHelper(["tags", bucket, key])
        return try JSONDecoder().decode([String: String].self, from: Data(result.stdout.utf8))
    }

    /// Every key under `prefix`, sorted (not usable in auth mode when prefix contains `/`).
    nonisolated func keys(bucket: String, prefix: String = "") async throws -> [String] {
        let result = try await checkedHelper(["keys", bucket, prefix])
        return try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
    }

    /// Uploads `data` as-is (no compression, no metadata).
    nonisolated func putObject(bucket: String, key: String, data: Data) async throws {
        let tmp = try TempDirectory.make(prefix: "cloudwal-put", ownedByServer: false)
        defer { tmp.remove() }
        try data.write(to: URL(fileURLWithPath: tmp.path + "/object"))
        try await checkedHelper(["put", bucket, key, tmp.path + "/object"])
    }
}

/// Runs `body` with a started moto and always stops it, also when `body` throws.
func withMotoServer<T: Sendable>(
    isolation: isolated (any Actor)? = #isolation,
    auth: Bool = false,
    _ body: (MotoServer) async throws -> T
) async throws -> T {
    let server = try await MotoServer.start(auth: auth)
    do {
        let value = try await body(server)
        await server.stop()
        return value
    } catch {
        await server.stop()
        throw error
    }
}

// MARK: - One moto per suite

extension MotoServer {
    /// The server of the enclosing `.motoServer` suite trait.
    static let suiteLocal = TaskLocal<MotoServer?>(wrappedValue: nil)
    static let missingTraitMessage = "no moto server: add the .motoServer trait to the suite"
}

/// Suite trait: one moto for the whole suite run (started before its first test, stopped after
/// its last, also on failure); tests reach it through `MotoServer.shared()`.
struct MotoServerTrait: SuiteTrait, TestScoping {
    let auth: Bool

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        try await withSuiteServer(start: { try await MotoServer.start(auth: auth) }, function)
    }
}

extension Trait where Self == MotoServerTrait {
    static var motoServer: Self { MotoServerTrait(auth: false) }
    /// moto with SigV4 checking and an IAM user's credentials.
    static var motoServerWithAuth: Self { MotoServerTrait(auth: true) }
}

/// posix_spawn of a long-running child in its own process group, output to `log`, with the same
/// clean signal state as `ProcessRunner` gives its children. The caller owns the pid (reap it).
enum BackgroundProcess {
    static func spawn(_ argv: [String], environment: [String: String], log: String) throws -> pid_t {
        try ProcessRunner.spawn(argv, environment: environment, stdout: log, stderr: nil)
    }
}
