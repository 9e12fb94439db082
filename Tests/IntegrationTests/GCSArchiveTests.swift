import CloudWAL
import Foundation
import Testing

/// What only GCS has, on fake-gcs-server: credentials from Google's chain and resumable uploads.
/// The archive/restore contract shared with the other backends is `WALArchiveTests`; the store
/// contract (listing, preconditions, head, get, delete) is `StorageContractTests`.
@Suite("GCS archive specifics (fake-gcs-server)", .serialized, .fakeGCSServer)
struct GCSArchiveTests {
    static let segment = "000000010000000000000002"

    /// Without an emulator, key file or metadata server there is nothing to authenticate with:
    /// a one-line error naming the variable to set, exit 1, and nothing stored.
    @Test func missingCredentialsAreExplained() async throws {
        let fx = try await ArchiveFixture.make(.gcs, "nocred")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 21))
        let result = try await fx.archive(wal, env: fx.access.with(environment: [
            "STORAGE_EMULATOR_HOST": "", "HOME": fx.dir.path,
        ]).environment)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("GOOGLE_APPLICATION_CREDENTIALS"))
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try await fx.keys().isEmpty)
    }

    /// Bodies above the threshold go up as a resumable upload in chunks, from memory and from a
    /// file (streamed), and read back whole with their metadata.
    @Test func resumableUploadAboveTheThreshold() async throws {
        let fx = try await ArchiveFixture.make(.gcs, "resumable")
        defer { fx.cleanup() }
        let gcs = try FakeGCSServer.shared()
        let store = GCSStore(
            configuration: GCSConfiguration(
                bucket: fx.bucket, endpoint: gcs.endpoint, resumableThreshold: 1 << 20, chunkSize: 1 << 20),
            transport: AsyncHTTPClientTransport(), credentials: GCSAnonymousCredentials())
        let big = [UInt8](WALFixture.segmentBytes(Self.segment, seed: 77, size: 3 << 20) + Data([1, 2, 3]))
        #expect(try await store.put("big/object", body: big, options: PutOptions(metadata: ["cloudwal-size": "x"])) == .created)
        #expect(try await gcs.objectData(bucket: fx.bucket, key: "big/object") == Data(big))
        let info = try #require(try await store.head("big/object"))
        #expect(info.size == big.count)
        #expect(info.metadata["cloudwal-size"] == "x")

        let path = try fx.writeWAL("bigfile", Data(big))
        #expect(try await store.putFile("big/file", path: path, size: big.count, options: PutOptions()) == .created)
        #expect(try await gcs.objectData(bucket: fx.bucket, key: "big/file") == Data(big))
        #expect(try await store.list(prefix: "", delimiter: nil).objects.map(\.key).sorted() == ["big/file", "big/object"])
    }
}
