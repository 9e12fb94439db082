import CloudWAL
import Foundation

/// An S3 server (moto or SeaweedFS) under test, inspected with boto3 (`Fakes/s3_inspect.py`).
struct S3StoreUnderTest: StoreUnderTest {
    let backend: StoreBackend
    let endpoint: String
    let environment: [String: String]
    /// Whether the server refuses a wrong secret (SeaweedFS always; moto only in auth mode).
    let checksCredentials: Bool

    var inspector: S3Inspector { S3Inspector(endpoint: endpoint, environment: environment) }

    func createBucket(_ name: String) async throws { try await inspector.createBucket(name) }

    func access(bucket: String, prefix: String) -> StoreAccess {
        StoreAccess(url: "s3://\(bucket)/\(prefix)", endpointURL: endpoint, environment: environment)
    }

    func unreachableAccess(bucket: String, prefix: String) throws -> StoreAccess? {
        var dead = access(bucket: bucket, prefix: prefix)
        dead.endpointURL = try deadEndpoint()
        return dead
    }

    func deniedAccess(bucket: String, prefix: String) -> StoreAccess? {
        guard checksCredentials else { return nil }
        return access(bucket: bucket, prefix: prefix).with(
            environment: ["AWS_SECRET_ACCESS_KEY": "wrong-" + randomToken(30)])
    }

    func storedKeys(bucket: String) async throws -> [String] { try await inspector.keys(bucket: bucket) }

    func storedData(bucket: String, key: String) async throws -> Data? {
        try await inspector.objectData(bucket: bucket, key: key)
    }

    func storedMetadata(bucket: String, key: String) async throws -> [String: String]? {
        try await inspector.head(bucket: bucket, key: key)?.metadata
    }

    func storedTags(bucket: String, key: String) async throws -> [String: String] {
        try await inspector.tags(bucket: bucket, key: key)
    }

    func storedVersion(bucket: String, key: String) async throws -> String? {
        try await inspector.head(bucket: bucket, key: key)?.etag
    }

    func pendingUploads(bucket: String) async throws -> [String] {
        try await inspector.uploads(bucket: bucket)
    }
}

extension S3Inspector {
    struct Head: Sendable, Decodable {
        /// Without the `x-amz-meta-` prefix, names lower-case.
        let metadata: [String: String]
        let etag: String?
        let size: Int
    }

    private func decoded<T: Decodable>(_ type: T.Type, _ args: [String]) async throws -> T? {
        let result = try await run(args)
        if result.status == 10 { return nil }
        guard result.succeeded else {
            throw HarnessError("s3_inspect \(args.joined(separator: " ")) failed (\(result.status)): "
                               + lastLines(result.stderr, lines: 6))
        }
        return try JSONDecoder().decode(T.self, from: Data(result.stdout.utf8))
    }

    func head(bucket: String, key: String) async throws -> Head? {
        try await decoded(Head.self, ["head", bucket, key])
    }

    func tags(bucket: String, key: String) async throws -> [String: String] {
        try await decoded([String: String].self, ["tags", bucket, key]) ?? [:]
    }

    func uploads(bucket: String) async throws -> [String] {
        try await decoded([String].self, ["uploads", bucket]) ?? []
    }
}
