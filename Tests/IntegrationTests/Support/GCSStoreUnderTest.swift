import CloudWAL
import Foundation

/// fake-gcs-server under test, inspected over its JSON API. It checks no credentials (clients
/// reach it anonymously through `STORAGE_EMULATOR_HOST`, as Google's do).
struct GCSStoreUnderTest: StoreUnderTest {
    let backend = StoreBackend.gcs
    let server: FakeGCSServer

    func createBucket(_ name: String) async throws { try await server.createBucket(name) }

    func access(bucket: String, prefix: String) -> StoreAccess {
        StoreAccess(url: "gs://\(bucket)/\(prefix)", provider: .googleCloudStorage, environment: server.environment)
    }

    /// `STORAGE_EMULATOR_HOST` without a scheme, as it is often written, pointing nowhere.
    func unreachableAccess(bucket: String, prefix: String) throws -> StoreAccess? {
        let dead = try deadEndpoint()
        return access(bucket: bucket, prefix: prefix).with(
            environment: ["STORAGE_EMULATOR_HOST": String(dead.dropFirst("http://".count))])
    }

    func deniedAccess(bucket: String, prefix: String) -> StoreAccess? { nil }

    func storedKeys(bucket: String) async throws -> [String] { try await server.keys(bucket: bucket) }

    func storedData(bucket: String, key: String) async throws -> Data? {
        try await server.objectData(bucket: bucket, key: key)
    }

    func storedMetadata(bucket: String, key: String) async throws -> [String: String]? {
        try await server.metadata(bucket: bucket, key: key)
    }

    /// barman-cloud keeps GCS tags as blob metadata, beside our own `cloudwal-*` entries.
    func storedTags(bucket: String, key: String) async throws -> [String: String] {
        (try await server.metadata(bucket: bucket, key: key) ?? [:]).filter { !$0.key.hasPrefix("cloudwal-") }
    }

    func storedVersion(bucket: String, key: String) async throws -> String? {
        guard let resource = try await server.resource(bucket: bucket, key: key) else { return nil }
        return resource["generation"].map { "\($0)" }
    }
}
