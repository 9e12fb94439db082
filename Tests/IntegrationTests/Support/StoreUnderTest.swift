import CloudWAL
import Foundation
import Testing

/// The backends the shared suites run against, each a real server the suite starts on 127.0.0.1
/// (or a temporary directory for `file://`).
enum StoreBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case file, moto, seaweedfs, gcs, azure

    var testDescription: String { rawValue }

    /// The ones behind a network port: only they can be unreachable.
    static let servers: [StoreBackend] = [.moto, .seaweedfs, .gcs, .azure]
    /// The servers that check credentials. moto (default mode) takes any key and the GCS emulator
    /// is anonymous; `file://` has none (and root passes every permission check).
    static let checkingCredentials: [StoreBackend] = [.seaweedfs, .azure]
    /// Where a body that does not match `PutOptions.bodySHA256` is refused. On S3 the server
    /// checks the signed payload hash and `x-amz-checksum-sha256`, and moto checks neither
    /// (test-infra.md §2a); file://, GCS and Azure hash the file in our own first pass.
    static let verifyingPayloadDigest: [StoreBackend] = [.file, .seaweedfs, .gcs, .azure]
    /// The backends of the command-line archive/restore and barman-cloud suites.
    static let archiveSuites: [StoreBackend] = [.moto, .gcs, .azure]

    /// This backend as the enclosing suite's traits started it.
    func underTest() throws -> any StoreUnderTest {
        switch self {
        case .file:
            return try FileStoreUnderTest()
        case .moto:
            let moto = try MotoServer.shared()
            return S3StoreUnderTest(
                backend: .moto, endpoint: moto.endpoint, environment: moto.environment, checksCredentials: moto.authMode)
        case .seaweedfs:
            let weed = try SeaweedFS.shared()
            return S3StoreUnderTest(
                backend: .seaweedfs, endpoint: weed.endpoint, environment: weed.environment, checksCredentials: true)
        case .gcs:
            return GCSStoreUnderTest(server: try FakeGCSServer.shared())
        case .azure:
            return AzureStoreUnderTest(fake: try AzureBlobFake.shared())
        }
    }
}

/// What a client needs to reach one archive location, in the form the command line takes it:
/// the URL, the options that pick the backend and its endpoint, and the environment.
struct StoreAccess: Sendable {
    var url: String
    var provider: CloudProvider?
    var endpointURL: String?
    var environment: [String: String]

    /// The arguments before the URL, for our commands and barman-cloud's alike.
    var cliOptions: [String] {
        (provider.map { ["--cloud-provider", $0.rawValue] } ?? []) + (endpointURL.map { ["--endpoint-url", $0] } ?? [])
    }

    /// The store the command line builds for these arguments: the same URL parsing, options and
    /// factory, so the contract holds for what runs in production.
    func makeStore(listPageSize: Int? = nil) throws -> any ObjectStore {
        var options = CloudOptions()
        options.provider = provider
        options.endpointURL = endpointURL
        options.listPageSize = listPageSize
        let parsed = try StorageURL(parsing: url, provider: provider)
        return try StoreFactory.makeStore(for: parsed, options: options, environment: Environment(environment))
    }

    func with(environment changes: [String: String]) -> StoreAccess {
        var copy = self
        copy.environment.merge(changes) { _, new in new }
        return copy
    }
}

/// One backend seen from a test: fresh buckets, the access a client needs (also to a dead port
/// and with refused credentials), and what is stored, read without cloud-wal (boto3, the
/// emulator's JSON API, the fake's own routes, the disk), so a store cannot vouch for itself.
protocol StoreUnderTest: Sendable {
    var backend: StoreBackend { get }
    /// Creates the empty bucket (container, root directory) `name`.
    func createBucket(_ name: String) async throws
    /// `prefix` inside `bucket`; for `file://` the prefix is part of the root and must exist.
    func access(bucket: String, prefix: String) -> StoreAccess
    /// The same, aimed at a loopback port where nothing listens; nil without a server.
    func unreachableAccess(bucket: String, prefix: String) throws -> StoreAccess?
    /// The same with credentials the server refuses; nil where it checks none.
    func deniedAccess(bucket: String, prefix: String) -> StoreAccess?
    /// The metadata name `name` is stored under (Azure allows no `-`).
    func metadataName(_ name: String) -> String

    func storedKeys(bucket: String) async throws -> [String]
    func storedData(bucket: String, key: String) async throws -> Data?
    /// User metadata under the backend's own names, nil when the object is absent.
    func storedMetadata(bucket: String, key: String) async throws -> [String: String]?
    /// Tags where the backend keeps them (S3 tagging, Azure index tags, GCS metadata, the
    /// `file://` metadata file).
    func storedTags(bucket: String, key: String) async throws -> [String: String]
    /// What changes whenever the object is written again (ETag, generation, inode and mtime).
    func storedVersion(bucket: String, key: String) async throws -> String?
    /// Traces of unfinished part uploads: S3 multipart uploads in progress, `file://` temporaries.
    func pendingUploads(bucket: String) async throws -> [String]

    /// Removes what the test made locally; servers are stopped by their suite trait.
    func cleanup()
}

extension StoreUnderTest {
    /// A fresh, empty bucket with `hint` in its name.
    func makeBucket(_ hint: String) async throws -> String {
        let name = uniqueStoreName(hint)
        try await createBucket(name)
        return name
    }

    /// A valid bucket name that nobody created.
    func absentBucket(_ hint: String) -> String { uniqueStoreName(hint) }

    func metadataName(_ name: String) -> String { name }
    func pendingUploads(bucket: String) async throws -> [String] { [] }
    func cleanup() {}
}

/// `cw-<hint>-<random>`: lower-case letters, digits and dashes, valid on every backend.
func uniqueStoreName(_ hint: String) -> String {
    let cleaned = String(hint.lowercased().map { ($0.isLetter && $0.isASCII) || $0.isNumber ? $0 : "-" }.prefix(30))
    return "cw-\(cleaned)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
}
