import CloudWAL
import Foundation

/// The Azure Blob fake under test (it checks Shared Key signatures), inspected through its own
/// unauthenticated `/__fake/` routes. Addressed with barman-cloud's emulator URL form.
struct AzureStoreUnderTest: StoreUnderTest {
    let backend = StoreBackend.azure
    let fake: AzureBlobFake

    func createBucket(_ name: String) async throws { try await fake.createContainer(name) }

    func access(bucket: String, prefix: String) -> StoreAccess {
        StoreAccess(
            url: fake.url(container: bucket, prefix: prefix), provider: .azureBlobStorage, environment: fake.environment())
    }

    /// The connection string's endpoint is what the client uses; the URL still names the fake.
    func unreachableAccess(bucket: String, prefix: String) throws -> StoreAccess? {
        let dead = try deadEndpoint() + "/" + fake.account
        return access(bucket: bucket, prefix: prefix).with(environment: [
            "AZURE_STORAGE_CONNECTION_STRING":
                "DefaultEndpointsProtocol=http;AccountName=\(fake.account);AccountKey=\(fake.key);BlobEndpoint=\(dead);",
        ])
    }

    /// Another well-formed account key: the fake recomputes the signature and refuses it.
    func deniedAccess(bucket: String, prefix: String) -> StoreAccess? {
        let wrongKey = Data((0..<64).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        return access(bucket: bucket, prefix: prefix).with(environment: fake.environment(key: wrongKey))
    }

    func metadataName(_ name: String) -> String { AzureMetadataNames.azureName(name) }

    func storedKeys(bucket: String) async throws -> [String] {
        (try await fake.blobs(bucket) ?? [:]).keys.sorted()
    }

    func storedData(bucket: String, key: String) async throws -> Data? {
        try await fake.blobData(bucket, key)
    }

    func storedMetadata(bucket: String, key: String) async throws -> [String: String]? {
        try await fake.blobs(bucket)?[key]?.metadata
    }

    func storedTags(bucket: String, key: String) async throws -> [String: String] {
        try await fake.blobs(bucket)?[key]?.tags ?? [:]
    }

    func storedVersion(bucket: String, key: String) async throws -> String? {
        try await fake.blobs(bucket)?[key]?.etag
    }
}
