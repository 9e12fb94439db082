import Foundation
import Testing

/// The real servers the fault suites put the proxy in front of.
enum FaultBackendKind: String, Sendable, CaseIterable {
    case moto, seaweedfs, gcs, azure
}

/// Which requests of cloud-wal a fault rule aims at.
enum FaultTarget: String, Sendable {
    /// Writing a WAL object (S3/Azure PUT, GCS multipart POST).
    case upload
    /// Reading a WAL object's body.
    case download
    /// Listing (the WAL search before a restore, the catalog's `base/` listing).
    case list
}

/// A started backend, its proxy and everything a test needs to drive cloud-wal at it: the
/// archive URL, the options and environment that reach the store directly or through the proxy,
/// rule paths per request kind, and inspection of what is stored (never through the proxy).
struct FaultBackend: Sendable {
    static let prefix = "pfx"
    static let server = "pg1"

    let kind: FaultBackendKind
    let proxy: FaultProxy
    /// The store's own endpoint (S3 and GCS), or the Azure fake's port.
    let upstreamPort: Int
    private let credentialsEnvironment: [String: String]
    private let s3: S3Inspector?
    private let gcs: FakeGCSServer?
    private let azure: AzureBlobFake?
    /// The secrets handed to cloud-wal, for the output check.
    let scan: SecretScan
    /// The staged cloud-wal of the suite.
    let binary: TestBinary
    /// How many scenarios of the suite run at once.
    let gate = FaultGate(width: 4)

    init(kind: FaultBackendKind, proxy: FaultProxy, upstreamPort: Int, credentialsEnvironment: [String: String],
         s3: S3Inspector? = nil, gcs: FakeGCSServer? = nil, azure: AzureBlobFake? = nil, binary: TestBinary,
         scanDirectory: String) {
        self.kind = kind
        self.binary = binary
        self.proxy = proxy
        self.upstreamPort = upstreamPort
        self.s3 = s3
        self.gcs = gcs
        self.azure = azure
        var env = credentialsEnvironment
        // Material cloud-wal is given but must never print; the ones its backend does not use
        // (a SAS beside a connection string, a key file beside the GCS emulator) are set anyway:
        // a leak of any environment variable would show.
        // A session token only where the store ignores it: SeaweedFS would take the key for an
        // STS one and refuse it.
        if kind == .moto { env["AWS_SESSION_TOKEN"] = "cwtoken-" + randomToken(32) }
        env["CLOUD_WAL_TOKEN"] = "cwsidecar-" + randomToken(32)
        if kind == .azure {
            env["AZURE_STORAGE_SAS_TOKEN"] =
                "sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=cwSAS" + randomToken(30) + "%3D"
        }
        if kind == .gcs {
            env["GOOGLE_APPLICATION_CREDENTIALS"] = Self.writeServiceAccountKey(in: scanDirectory)
        }
        self.credentialsEnvironment = env
        var scan = SecretScan()
        scan.add(environment: env)
        self.scan = scan
    }

    /// A service-account key file whose private key is random base64 (never used to sign: the
    /// emulator host comes first), so its lines can be looked for in the output.
    private static func writeServiceAccountKey(in directory: String) -> String {
        let lines = (0..<8).map { _ in
            Data((0..<48).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        }
        let pem = "-----BEGIN PRIVATE KEY-----\n" + lines.joined(separator: "\n") + "\n-----END PRIVATE KEY-----\n"
        let json: [String: Any] = [
            "type": "service_account", "project_id": "test", "private_key_id": randomToken(40),
            "private_key": pem, "client_email": "cw@test.iam.gserviceaccount.com", "client_id": "1",
            "token_uri": "http://127.0.0.1:9/token",
        ]
        let path = directory + "/sa-key.json"
        if let data = try? JSONSerialization.data(withJSONObject: json) {
            FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o644])
        }
        return path
    }

    // MARK: - Reaching the store

    private func endpoint(proxied: Bool) -> String {
        "http://127.0.0.1:\(proxied ? proxy.port : upstreamPort)"
    }

    /// The archive URL of `bucket` (an Azure container).
    func url(_ bucket: String, proxied: Bool = true) -> String {
        switch kind {
        case .moto, .seaweedfs: return "s3://\(bucket)/\(Self.prefix)"
        case .gcs: return "gs://\(bucket)/\(Self.prefix)"
        case .azure: return "\(endpoint(proxied: proxied))/\(azureAccount)/\(bucket)/\(Self.prefix)"
        }
    }

    private var azureAccount: String { azure?.account ?? "cloudwaltest" }

    /// Options every command needs for this backend.
    func options(proxied: Bool = true) -> [String] {
        switch kind {
        case .moto, .seaweedfs: return ["--endpoint-url", endpoint(proxied: proxied)]
        case .gcs: return []
        case .azure: return ["--cloud-provider", "azure-blob-storage"]
        }
    }

    func environment(proxied: Bool = true) -> [String: String] {
        var env = credentialsEnvironment
        switch kind {
        case .moto, .seaweedfs: break
        case .gcs: env["STORAGE_EMULATOR_HOST"] = endpoint(proxied: proxied)
        case .azure:
            if let azure {
                env["AZURE_STORAGE_CONNECTION_STRING"] = "DefaultEndpointsProtocol=http;AccountName=\(azure.account);"
                    + "AccountKey=\(azure.key);BlobEndpoint=\(endpoint(proxied: proxied))/\(azure.account);"
            }
        }
        return env
    }

    // MARK: - Rules

    /// (method regex, path regex) of the requests of `target` for `bucket`.
    func requests(_ target: FaultTarget, bucket: String) -> (method: String, path: String) {
        let b = NSRegularExpression.escapedPattern(for: bucket)
        switch (kind, target) {
        case (.moto, .upload), (.seaweedfs, .upload): return ("PUT", "^/\(b)/[^?]*wals/")
        case (.moto, .download), (.seaweedfs, .download): return ("GET", "^/\(b)/[^?]*wals/")
        case (.moto, .list), (.seaweedfs, .list): return ("GET", "^/\(b)/?\\?")
        case (.gcs, .upload): return ("POST", "^/upload/storage/v1/b/\(b)/o")
        case (.gcs, .download): return ("GET", "^/storage/v1/b/\(b)/o/[^?]+\\?(.*&)?alt=media")
        case (.gcs, .list): return ("GET", "^/storage/v1/b/\(b)/o\\?")
        case (.azure, .upload): return ("PUT", "^/\(azureAccount)/\(b)/[^?]*wals/")
        case (.azure, .download): return ("GET", "^/\(azureAccount)/\(b)/[^?]*wals/")
        case (.azure, .list): return ("GET", "^/\(azureAccount)/\(b)\\?(.*&)?comp=list")
        }
    }

    // MARK: - The store's state (directly, never through the proxy)

    func makeBucket(_ hint: String) async throws -> String {
        let cleaned = String(hint.lowercased().map { ($0.isLetter && $0.isASCII) || $0.isNumber ? $0 : "-" }.prefix(30))
        let name = "cw-\(cleaned)-\(randomToken(8))"
        switch kind {
        case .moto, .seaweedfs: try await requireInspector().createBucket(name)
        case .gcs: try await requireGCS().createBucket(name)
        case .azure: try await requireAzure().createContainer(name)
        }
        return name
    }

    func keys(_ bucket: String) async throws -> [String] {
        switch kind {
        case .moto, .seaweedfs: return try await requireInspector().keys(bucket: bucket)
        case .gcs: return try await requireGCS().keys(bucket: bucket)
        case .azure: return (try await requireAzure().blobs(bucket) ?? [:]).keys.sorted()
        }
    }

    func objectData(_ bucket: String, _ key: String) async throws -> Data? {
        switch kind {
        case .moto, .seaweedfs: return try await requireInspector().objectData(bucket: bucket, key: key)
        case .gcs: return try await requireGCS().objectData(bucket: bucket, key: key)
        case .azure: return try await requireAzure().blobData(bucket, key)
        }
    }

    private func requireInspector() throws -> S3Inspector {
        guard let s3 else { throw HarnessError("\(kind) has no S3 inspector") }
        return s3
    }

    private func requireGCS() throws -> FakeGCSServer {
        guard let gcs else { throw HarnessError("\(kind) has no fake-gcs-server") }
        return gcs
    }

    private func requireAzure() throws -> AzureBlobFake {
        guard let azure else { throw HarnessError("\(kind) has no Azure fake") }
        return azure
    }
}

// MARK: - One backend and proxy per suite

extension FaultBackend {
    @TaskLocal static var current: FaultBackend?

    static func shared() throws -> FaultBackend {
        guard let backend = current else { throw HarnessError("no fault backend: add the .faultBackend trait") }
        return backend
    }

    /// Starts `kind` and a proxy in front of it, runs `body`, stops both (also on failure).
    static func with<T: Sendable>(
        _ kind: FaultBackendKind, isolation: isolated (any Actor)? = #isolation,
        _ body: (FaultBackend) async throws -> T
    ) async throws -> T {
        let scratch = try TempDirectory.make(prefix: "cloudwal-fscan", ownedByServer: false)
        var stops: [@Sendable () async -> Void] = [{ scratch.remove() }]
        func stopAll() async { for stop in stops.reversed() { await stop() } }
        do {
            let binary = try TestBinary.prepare()
            stops.append { binary.cleanup() }
            let backend: FaultBackend
            switch kind {
            case .moto:
                let moto = try await MotoServer.start()
                stops.append { await moto.stop() }
                // moto accepts any key in its default mode: give it secrets worth looking for.
                let creds = MotoServer.Credentials(accessKeyID: "CWMOTO" + randomToken(10).uppercased(),
                                                   secretAccessKey: "cwsecret-" + randomToken(32))
                let env = MotoServer.clientEnvironment(credentials: creds)
                let proxy = try await FaultProxy.start(upstreamPort: moto.port)
                stops.append { await proxy.stop() }
                backend = FaultBackend(kind: kind, proxy: proxy, upstreamPort: moto.port, credentialsEnvironment: env,
                                       s3: S3Inspector(endpoint: moto.endpoint, environment: env),
                                       binary: binary, scanDirectory: scratch.path)
            case .seaweedfs:
                let weed = try await SeaweedFS.start()
                stops.append { await weed.stop() }
                let proxy = try await FaultProxy.start(upstreamPort: weed.s3Port)
                stops.append { await proxy.stop() }
                let env = weed.environment
                backend = FaultBackend(kind: kind, proxy: proxy, upstreamPort: weed.s3Port,
                                       credentialsEnvironment: env, s3: weed.inspector, binary: binary, scanDirectory: scratch.path)
            case .gcs:
                let gcs = try await FakeGCSServer.start()
                stops.append { await gcs.stop() }
                let proxy = try await FaultProxy.start(upstreamPort: gcs.port)
                stops.append { await proxy.stop() }
                backend = FaultBackend(kind: kind, proxy: proxy, upstreamPort: gcs.port,
                                       credentialsEnvironment: gcs.environment, gcs: gcs, binary: binary, scanDirectory: scratch.path)
            case .azure:
                let azure = try await AzureBlobFake.start()
                stops.append { await azure.stop() }
                let proxy = try await FaultProxy.start(upstreamPort: azure.port)
                stops.append { await proxy.stop() }
                backend = FaultBackend(kind: kind, proxy: proxy, upstreamPort: azure.port,
                                       credentialsEnvironment: azure.environment(), azure: azure,
                                       binary: binary, scanDirectory: scratch.path)
            }
            let value = try await body(backend)
            await stopAll()
            return value
        } catch {
            await stopAll()
            throw error
        }
    }
}

/// Suite trait: one backend and its proxy for the whole suite; tests reach it through
/// `FaultBackend.shared()`.
struct FaultBackendTrait: SuiteTrait, TestScoping {
    let kind: FaultBackendKind

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        if FaultBackend.current != nil {
            try await function()
            return
        }
        try await FaultBackend.with(kind) { backend in
            try await FaultBackend.$current.withValue(backend) { try await function() }
        }
    }
}

extension Trait where Self == FaultBackendTrait {
    static func faultBackend(_ kind: FaultBackendKind) -> Self { FaultBackendTrait(kind: kind) }
}
