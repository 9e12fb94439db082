import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `Tests/IntegrationTests/Fakes/azure_blob_fake.py` on a free 127.0.0.1 port: the Blob service
/// the Azure tests talk to (no Azure emulator installs on this machine, see test-infra.md §4).
///
/// Started like `MotoServer`, as a `ServerProcess` (watchdog, hard cap, own process group). Inspection goes through the
/// fake's unauthenticated `/__fake/` routes with curl.
actor AzureBlobFake: SuiteServer {
    struct BlobState: Sendable, Decodable {
        let size: Int
        /// Azure metadata names as stored (`cloudwal_sha256`).
        let metadata: [String: String]
        let tags: [String: String]
        let scope: String?
        let sha256: String
        let etag: String
    }

    nonisolated let process: ServerProcess
    nonisolated let account = "cloudwaltest"
    /// A random account key per run: 64 bytes, base64, like a real one.
    nonisolated let key: String

    nonisolated var endpoint: String { "http://127.0.0.1:\(port)/\(account)" }

    private init(process: ServerProcess, key: String) {
        self.process = process
        self.key = key
    }

    /// What cloud-wal and barman-cloud need: a connection string naming the fake, nothing else
    /// of Azure's (a developer's own AZURE_* variables would otherwise leak in; ProcessRunner
    /// only adds variables, so the ones tests care about are overridden with empty values).
    nonisolated func environment(key: String? = nil) -> [String: String] {
        [
            "AZURE_STORAGE_CONNECTION_STRING":
                "DefaultEndpointsProtocol=http;AccountName=\(account);AccountKey=\(key ?? self.key);BlobEndpoint=\(endpoint);",
            "AZURE_STORAGE_SAS_TOKEN": "", "AZURE_STORAGE_KEY": "", "AZURE_CLIENT_SECRET": "",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        ]
    }

    /// `http://127.0.0.1:PORT/ACCOUNT/CONTAINER/prefix`, barman-cloud's emulator URL form.
    nonisolated func url(container: String, prefix: String) -> String {
        "\(endpoint)/\(container)" + (prefix.isEmpty ? "" : "/\(prefix)")
    }

    static var script: String { TestBinary.packageRoot() + "/Tests/IntegrationTests/Fakes/azure_blob_fake.py" }

    static func start(pageSize: Int = 5000, readyTimeout: Duration = .seconds(90)) async throws -> AzureBlobFake {
        let python = TestVenv.python
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw HarnessError("test venv python \(python) not found: \(TestVenv.setupHint)")
        }
        var keyBytes = [UInt8](repeating: 0, count: 64)
        for index in keyBytes.indices { keyBytes[index] = UInt8.random(in: 0...255) }
        let key = Data(keyBytes).base64EncodedString()
        let recipe = ServerProcess.Recipe(
            name: "the Azure fake", directoryPrefix: "cloudwal-azure", logName: "fake.log",
            environment: ProcessInfo.processInfo.environment, pollInterval: .milliseconds(50)
        ) { _, ports in
            [python, Self.script, "--port", String(ports[0]), "--account", "cloudwaltest", "--key", key,
             "--page-size", String(pageSize)]
        }
        return try await ServerProcess.launch(
            recipe, readyTimeout: readyTimeout, wrap: { AzureBlobFake(process: $0, key: key) },
            isReady: { $0.logText().contains("listening on") })
    }

    // MARK: - Inspection through /__fake/ (curl)

    private nonisolated func curl(_ args: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run("/usr/bin/curl", ["-s", "--noproxy", "*", "-w", "\n%{http_code}"] + args,
                                    timeout: .seconds(30))
    }

    /// Body and HTTP status of a /__fake/ route.
    private nonisolated func fakeRoute(_ method: String, _ path: String) async throws -> (status: Int, body: String) {
        let result = try await curl(["-X", method, "http://127.0.0.1:\(port)/__fake/\(path)"])
        guard result.status == 0, let newline = result.stdout.lastIndex(of: "\n") else {
            throw HarnessError("curl \(path) failed (\(result.status)): \(result.stderr)")
        }
        return (Int(result.stdout[result.stdout.index(after: newline)...]) ?? 0, String(result.stdout[..<newline]))
    }

    nonisolated func createContainer(_ name: String) async throws {
        let answer = try await fakeRoute("PUT", "container?name=\(name)")
        guard answer.status == 201 else { throw HarnessError("create container \(name): HTTP \(answer.status)") }
    }

    /// A fresh container name (3-63 lower-case letters, digits, dashes) with `hint` in it.
    nonisolated func uniqueContainerName(_ hint: String) -> String {
        let cleaned = String(hint.lowercased().map { ($0.isLetter && $0.isASCII) || $0.isNumber ? $0 : "-" }.prefix(30))
        return "cw-\(cleaned)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    /// Every blob in `container` with its stored properties, or nil when the container is absent.
    nonisolated func blobs(_ container: String) async throws -> [String: BlobState]? {
        let answer = try await fakeRoute("GET", "blobs?container=\(container)")
        if answer.status == 404 { return nil }
        return try JSONDecoder().decode([String: BlobState].self, from: Data(answer.body.utf8))
    }

    /// A blob's bytes, or nil.
    nonisolated func blobData(_ container: String, _ name: String) async throws -> Data? {
        let tmp = try TempDirectory.make(prefix: "cloudwal-azget", ownedByServer: false)
        defer { tmp.remove() }
        let out = tmp.path + "/blob"
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        let result = try await ProcessRunner.run(
            "/usr/bin/curl", ["-s", "--noproxy", "*", "-o", out, "-w", "%{http_code}",
                              "http://127.0.0.1:\(port)/__fake/blob?container=\(container)&name=\(encoded)"],
            timeout: .seconds(30))
        guard result.stdout == "200" else { return nil }
        return FileManager.default.contents(atPath: out)
    }

    /// The fake's request log: method, path, query and status of each call.
    struct LoggedRequest: Sendable, Decodable {
        let method: String
        let path: String
        let query: [String: String]
        let status: Int
    }

    nonisolated func requests() async throws -> [LoggedRequest] {
        let answer = try await fakeRoute("GET", "requests")
        return try JSONDecoder().decode([LoggedRequest].self, from: Data(answer.body.utf8))
    }

    /// Runs the SDK cross-check script against this fake.
    nonisolated func runSDKCheck() async throws -> ProcessResult {
        try await ProcessRunner.run(
            TestVenv.python, [TestBinary.packageRoot() + "/Tests/IntegrationTests/Fakes/azure_sdk_check.py", endpoint, account, key],
            environment: ["NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"], timeout: .seconds(180))
    }
}

// MARK: - One fake per suite

extension AzureBlobFake {
    static let suiteLocal = TaskLocal<AzureBlobFake?>(wrappedValue: nil)
    static let missingTraitMessage = "no Azure fake: add the .azureBlobFake trait to the suite"
}

/// Suite trait: one fake for the whole suite, stopped after its last test (also on failure).
struct AzureBlobFakeTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        // A small List Blobs page, so listings in the tests cross NextMarker.
        try await withSuiteServer(start: { try await AzureBlobFake.start(pageSize: 2) }, function)
    }
}

extension Trait where Self == AzureBlobFakeTrait {
    static var azureBlobFake: Self { AzureBlobFakeTrait() }
}
