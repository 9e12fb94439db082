import CloudWAL
import Foundation
import Testing

/// The `ObjectStore` contract, the same tests for every backend: `file://`, S3 on moto and on
/// SeaweedFS, the GCS emulator and the Azure fake, each store built by `StoreFactory` from a URL
/// as the command line builds it. What was stored is read back past the store (boto3, the
/// emulator's API, the fake's routes, the disk). Backend-only behaviour stays in the backends'
/// own suites (S3 region redirects and SSE, GCS resumable uploads, Azure SAS and blocks).
@Suite("Storage contract (every backend)", .serialized, .motoServer, .seaweedFS, .fakeGCSServer, .azureBlobFake)
struct StorageContractTests {
    // MARK: - Create-only writes

    @Test(arguments: StoreBackend.allCases)
    func createOnlyPutLeavesTheFirstBytes(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "create")
        defer { bucket.cleanup() }
        let store = bucket.store
        #expect(try await store.put("c/one", body: [1, 2, 3], options: PutOptions()) == .created)
        #expect(try await store.put("c/one", body: [9, 9], options: PutOptions()) == .alreadyExists)
        #expect(try await bucket.stored("c/one") == [1, 2, 3])
        // Only a write that allows it replaces (backup.info after a keep, for instance).
        #expect(try await store.put("c/one", body: [4], options: PutOptions(createOnly: false)) == .created)
        #expect(try await bucket.stored("c/one") == [4])
    }

    @Test(arguments: StoreBackend.allCases)
    func createOnlyPutFileLeavesTheFirstBytes(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "putfile")
        defer { bucket.cleanup() }
        let first = contractBytes(300_000, seed: 1)
        let second = contractBytes(200_000, seed: 2)
        let sha = try await bucket.withFile(first) { try await sha256Hex($0) }
        let created = try await bucket.withFile(first) {
            try await bucket.store.putFile("f/seg", path: $0, size: first.count, options: PutOptions(bodySHA256: sha))
        }
        #expect(created == .created)
        let again = try await bucket.withFile(second) {
            try await bucket.store.putFile("f/seg", path: $0, size: second.count, options: PutOptions())
        }
        #expect(again == .alreadyExists)
        #expect(try await bucket.stored("f/seg") == first)
        // Without the caller's digest (a spooled upload) the file still streams and arrives whole.
        let unhashed = try await bucket.withFile(second) {
            try await bucket.store.putFile("f/other", path: $0, size: second.count, options: PutOptions())
        }
        #expect(unhashed == .created)
        #expect(try await bucket.stored("f/other") == second)
    }

    /// A file whose bytes no longer hash to the digest the archiver computed is never stored
    /// under that digest.
    @Test(arguments: StoreBackend.verifyingPayloadDigest)
    func putFileRefusesBytesThatDoNotMatchTheirDigest(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "digest")
        defer { bucket.cleanup() }
        let bytes = contractBytes(100_000, seed: 3)
        let otherDigest = try await bucket.withFile(contractBytes(100_000, seed: 4)) { try await sha256Hex($0) }
        await #expect(throws: StorageError.self) {
            try await bucket.withFile(bytes) {
                _ = try await bucket.store.putFile(
                    "d/seg", path: $0, size: bytes.count, options: PutOptions(bodySHA256: otherDigest))
            }
        }
        #expect(try await bucket.store.head("d/seg") == nil)
        #expect(try await bucket.sut.storedKeys(bucket: bucket.name).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func createOnlyPartUploadLeavesTheFirstBytes(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "parts")
        defer { bucket.cleanup() }
        let partSize = Self.partSize
        let body = contractBytes(partSize + 1000, seed: 5)
        let upload = try await Self.upload(
            bucket.store, "p/obj", [Array(body[..<partSize]), Array(body[partSize...])],
            options: PutOptions(metadata: ["cloudwal-size": String(body.count)]))
        #expect(try await upload.complete(partCount: 2) == .created)
        #expect(try await bucket.stored("p/obj") == body)
        let head = try #require(try await bucket.store.head("p/obj"))
        #expect(head.size == body.count)
        #expect(head.metadata["cloudwal-size"] == String(body.count))

        let second = try await Self.upload(bucket.store, "p/obj", [contractBytes(partSize, seed: 6), [7]])
        #expect(try await second.complete(partCount: 2) == .alreadyExists)
        #expect(try await bucket.stored("p/obj") == body)
        #expect(try await bucket.sut.pendingUploads(bucket: bucket.name).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func abortedPartUploadLeavesNothing(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "abort")
        defer { bucket.cleanup() }
        let upload = try await Self.upload(bucket.store, "a/obj", [contractBytes(Self.partSize, seed: 8)])
        await upload.abort()
        #expect(try await bucket.store.head("a/obj") == nil)
        #expect(try await bucket.store.list(prefix: "a/", delimiter: nil).objects.isEmpty)
        #expect(try await bucket.sut.storedKeys(bucket: bucket.name).isEmpty)
        #expect(try await bucket.sut.pendingUploads(bucket: bucket.name).isEmpty)
    }

    /// S3's smallest part size.
    static let partSize = 5 << 20

    /// Begins a part upload of `key` and sends `parts` last first, as concurrent uploads may.
    static func upload(_ store: any ObjectStore, _ key: String, _ parts: [[UInt8]], options: PutOptions = PutOptions())
        async throws -> any ObjectUpload
    {
        let upload = try await store.beginUpload(key, partSize: partSize, options: options)
        for (index, bytes) in parts.enumerated().reversed() {
            try await upload.uploadPart(index + 1, bytes: bytes)
        }
        return upload
    }

    // MARK: - Metadata

    @Test(arguments: StoreBackend.allCases)
    func metadataAndTagsRoundTrip(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "meta")
        defer { bucket.cleanup() }
        let metadata = ["cloudwal-sha256": String(repeating: "ab", count: 32), "cloudwal-size": "3"]
        let tags = [ObjectTag(key: "env", value: "ci"), ObjectTag(key: "team", value: "db ops")]
        let options = PutOptions(metadata: metadata, tags: tags)
        #expect(try await bucket.store.put("m/bytes", body: [1, 2, 3], options: options) == .created)
        let fromFile = try await bucket.withFile([4, 5, 6]) {
            try await bucket.store.putFile("m/file", path: $0, size: 3, options: options)
        }
        #expect(fromFile == .created)
        for key in ["m/bytes", "m/file"] {
            let head = try #require(try await bucket.store.head(key), "no head for \(key)")
            #expect(head.key == key)
            #expect(head.size == 3)
            let download = try await bucket.store.get(key)
            for (name, value) in metadata {
                #expect(head.metadata[name] == value, "head of \(key): \(name)")
                #expect(download.info.metadata[name] == value, "get of \(key): \(name)")
            }
            #expect(try await collect(download).bytes.count == 3)
            #expect(try await bucket.sut.storedTags(bucket: bucket.name, key: key) == ["env": "ci", "team": "db ops"])
            let stored = try #require(try await bucket.sut.storedMetadata(bucket: bucket.name, key: key))
            #expect(stored[bucket.sut.metadataName("cloudwal-sha256")] == metadata["cloudwal-sha256"])
        }
    }

    // MARK: - Listing

    /// Five objects and three "directories" under `l/`, with pages of two entries: every listing
    /// crosses pages, and each key and common prefix comes back exactly once.
    @Test(arguments: StoreBackend.allCases)
    func delimiterListingAcrossPages(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "list")
        defer { bucket.cleanup() }
        let direct = (0..<5).map { "l/a\($0)" }
        let nested = ["l/d1/x", "l/d2/x", "l/d3/y", "l/d3/z"]
        for (index, key) in (direct + nested + ["other/q", "l-sibling"]).enumerated() {
            #expect(try await bucket.store.put(key, body: Array(repeating: 1, count: index + 1), options: PutOptions()) == .created)
        }

        let rolled = try await bucket.store.list(prefix: "l/", delimiter: "/")
        #expect(rolled.objects.map(\.key).sorted() == direct)
        #expect(rolled.commonPrefixes.sorted() == ["l/d1/", "l/d2/", "l/d3/"])
        #expect(rolled.objects.first { $0.key == "l/a3" }?.size == 4)

        let everything = try await bucket.store.list(prefix: "l/", delimiter: nil)
        #expect(everything.objects.map(\.key).sorted() == direct + nested)
        #expect(everything.commonPrefixes.isEmpty)

        #expect(try await bucket.store.list(prefix: "l/d3/", delimiter: "/").objects.map(\.key).sorted() == ["l/d3/y", "l/d3/z"])
        #expect(try await bucket.store.list(prefix: "l/a", delimiter: "/").objects.map(\.key).sorted() == direct)
        let none = try await bucket.store.list(prefix: "nothing/", delimiter: "/")
        #expect(none.objects.isEmpty && none.commonPrefixes.isEmpty)
    }

    // MARK: - Missing, unreachable, denied

    @Test(arguments: StoreBackend.allCases)
    func absentIsNilOrNotFound(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "absent")
        defer { bucket.cleanup() }
        #expect(try await bucket.store.head("no/such") == nil)
        #expect(await storageErrorKind { _ = try await bucket.store.get("no/such") } == .notFound)
        // Removing an absent object is not an error, twice over.
        #expect(try await bucket.store.put("x/gone", body: [1], options: PutOptions()) == .created)
        try await bucket.store.delete("x/gone")
        try await bucket.store.delete("x/gone")
        #expect(try await bucket.store.head("x/gone") == nil)
        #expect(try await bucket.sut.storedKeys(bucket: bucket.name).isEmpty)
        #expect(try await bucket.store.checkBucket() == .available)
        let absent = try bucket.store(bucket.sut.access(bucket: bucket.sut.absentBucket("none"), prefix: ""))
        #expect(try await absent.checkBucket() == .missing)
    }

    /// A closed port is "try again later" (exit 2), never "not found" (which would end recovery).
    @Test(arguments: StoreBackend.servers)
    func closedPortIsUnreachableNeverNotFound(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "down")
        defer { bucket.cleanup() }
        let dead = try #require(try bucket.sut.unreachableAccess(bucket: bucket.name, prefix: ""))
        let store = try bucket.store(dead)
        #expect(await storageErrorKind { _ = try await store.head("k") } == .unreachable)
        #expect(await storageErrorKind { _ = try await store.get("k") } == .unreachable)
        #expect(await storageErrorKind { _ = try await store.list(prefix: "", delimiter: "/") } == .unreachable)
        #expect(await storageErrorKind { _ = try await store.put("k", body: [1], options: PutOptions()) } == .unreachable)
        #expect(await storageErrorKind { _ = try await store.checkBucket() } == .unreachable)
    }

    @Test(arguments: StoreBackend.checkingCredentials)
    func wrongCredentialsAreDenied(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "denied")
        defer { bucket.cleanup() }
        #expect(try await bucket.store.put("k", body: [1], options: PutOptions()) == .created)
        let refused = try #require(bucket.sut.deniedAccess(bucket: bucket.name, prefix: ""))
        let store = try bucket.store(refused)
        #expect(await storageErrorKind { _ = try await store.get("k") } == .accessDenied)
        #expect(await storageErrorKind { _ = try await store.head("k") } == .accessDenied)
        #expect(await storageErrorKind { _ = try await store.list(prefix: "", delimiter: "/") } == .accessDenied)
        #expect(await storageErrorKind { _ = try await store.put("j", body: [2], options: PutOptions()) } == .accessDenied)
        #expect(try await bucket.sut.storedKeys(bucket: bucket.name) == ["k"])
    }

    // MARK: - Streamed reads

    @Test(arguments: StoreBackend.allCases)
    func streamedGetOfAMultiChunkObject(_ backend: StoreBackend) async throws {
        let bucket = try await ContractBucket.make(backend, "stream")
        defer { bucket.cleanup() }
        let body = contractBytes((3 << 20) + 5, seed: 9)
        #expect(try await bucket.store.put("s/big", body: body, options: PutOptions(metadata: ["cloudwal-size": "x"])) == .created)
        let download = try await bucket.store.get("s/big")
        #expect(download.info.size == body.count)
        #expect(download.info.metadata["cloudwal-size"] == "x")
        let (bytes, chunks) = try await collect(download)
        #expect(chunks > 1, "a \(body.count)-byte object arrived in one chunk")
        #expect(bytes == body)
    }
}
