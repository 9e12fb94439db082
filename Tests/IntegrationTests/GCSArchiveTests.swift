import CloudWAL
import Foundation
import Testing

/// One test's world against the suite's fake-gcs-server: the staged binary, a scratch directory
/// and a bucket of its own.
struct GCSFixture {
    static let prefix = "pfx/sub"
    static let serverName = "pg1"

    let gcs: FakeGCSServer
    let binary: TestBinary
    let dir: TempDirectory
    let bucket: String
    var url: String { "gs://\(bucket)/\(Self.prefix)" }

    static func make(_ hint: String, createBucket: Bool = true) async throws -> GCSFixture {
        let gcs = try FakeGCSServer.shared()
        let binary = try TestBinary.prepare()
        let dir: TempDirectory
        do {
            dir = try TempDirectory.make(prefix: "cloudwal-gcs", ownedByServer: false)
        } catch {
            binary.cleanup()
            throw error
        }
        let fixture = GCSFixture(gcs: gcs, binary: binary, dir: dir, bucket: gcs.uniqueBucketName(hint))
        if createBucket {
            do { try await gcs.createBucket(fixture.bucket) } catch { fixture.cleanup(); throw error }
        }
        return fixture
    }

    func cleanup() {
        binary.cleanup()
        dir.remove()
    }

    @discardableResult
    func writeWAL(_ name: String, _ data: Data) throws -> String {
        let folder = dir.path + "/pg_wal"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    func destination(_ name: String = "RECOVERYXLOG") throws -> String {
        let folder = dir.path + "/restore-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder + "/" + name
    }

    func key(_ name: String, ext: String = "") -> String {
        WALFixture.key(prefix: Self.prefix, server: Self.serverName, name: name, ext: ext)
    }

    func environment(emulator: String? = nil) -> [String: String] {
        var env = gcs.environment
        if let emulator { env["STORAGE_EMULATOR_HOST"] = emulator }
        return env
    }

    /// `cloud-wal-archive --cloud-provider google-cloud-storage [options] gs://bucket/prefix pg1 <path>`.
    func archive(_ walPath: String, _ options: [String] = [], url: String? = nil) async throws -> ProcessResult {
        try await binary.run(["--cloud-provider", "google-cloud-storage"] + options + [url ?? self.url, Self.serverName, walPath],
                             as: "cloud-wal-archive", env: environment())
    }

    func restore(_ walName: String, to dest: String, _ options: [String] = []) async throws -> ProcessResult {
        try await binary.run(options + [url, Self.serverName, walName, dest], as: "cloud-wal-restore", env: environment())
    }

    func connectivityTest(_ tool: String, url: String? = nil, emulator: String? = nil) async throws -> ProcessResult {
        try await binary.run(["-t", url ?? self.url, Self.serverName], as: tool, env: environment(emulator: emulator))
    }
}

/// The archive/restore contract against the GCS JSON API (fake-gcs-server), driving the built
/// binary as archive_command/restore_command would.
@Suite("GCS archive and restore (fake-gcs-server)", .serialized, .fakeGCSServer)
struct GCSArchiveTests {
    static let segment = "000000010000000000000002"

    @Test(arguments: WALFixture.compressions)
    func roundTripIsByteIdenticalAtBarmansKey(compression: WALFixture.Compression) async throws {
        let fx = try await GCSFixture.make("rt-\(compression.name)")
        defer { fx.cleanup() }
        let content = WALFixture.segmentBytes(Self.segment, seed: UInt64(compression.name.utf8.count) * 7 + 3)
        let wal = try fx.writeWAL(Self.segment, content)

        let archived = try await fx.archive(wal, compression.flags)
        #expect(archived.status == 0, "archive \(compression.name): \(archived.stderr)")
        try #require(archived.status == 0)

        let key = fx.key(Self.segment, ext: compression.ext)
        #expect(try await fx.gcs.keys(bucket: fx.bucket) == [key], "expected exactly barman's key")
        let metadata = try #require(try await fx.gcs.metadata(bucket: fx.bucket, key: key))
        #expect(metadata["cloudwal-sha256"] == (try await sha256Hex(wal)))
        #expect(metadata["cloudwal-size"] == String(content.count))
        if compression.name == "none" {
            #expect(try await fx.gcs.objectData(bucket: fx.bucket, key: key) == content)
        }

        let dest = try fx.destination()
        let restored = try await fx.restore(Self.segment, to: dest)
        #expect(restored.status == 0, "restore \(compression.name): \(restored.stderr)")
        #expect(fileData(dest) == content, "restored bytes differ (\(compression.name))")
    }

    @Test func historyTagsAndMissingFiles() async throws {
        let fx = try await GCSFixture.make("hist")
        defer { fx.cleanup() }
        let history = Data("1\t0/3000000\tno recovery target specified\n".utf8)
        let historyPath = try fx.writeWAL("00000002.history", history)
        let archived = try await fx.archive(historyPath, ["--tag", "env,ci"])
        #expect(archived.status == 0, "\(archived.stderr)")
        #expect(try await fx.gcs.keys(bucket: fx.bucket) == [fx.key("00000002.history")])
        // barman-cloud keeps GCS tags as blob metadata.
        #expect(try await fx.gcs.metadata(bucket: fx.bucket, key: fx.key("00000002.history"))?["env"] == "ci")

        let dest = try fx.destination()
        let restored = try await fx.restore("00000002.history", to: dest)
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(fileData(dest) == history)

        let missing = try await fx.restore("00000003.history", to: try fx.destination())
        #expect(missing.status == 1, "\(missing.stderr)")
    }

    @Test func connectivityTestExitCodes() async throws {
        let fx = try await GCSFixture.make("conn")
        defer { fx.cleanup() }
        let dead = try deadEndpoint()
        let missingBucket = "gs://\(fx.gcs.uniqueBucketName("absent"))/p"
        for tool in ["cloud-wal-archive", "cloud-wal-restore"] {
            let ok = try await fx.connectivityTest(tool)
            #expect(ok.status == 0, "\(tool) -t existing bucket: \(ok.stderr)")
            let missing = try await fx.connectivityTest(tool, url: missingBucket)
            #expect(missing.status == 1, "\(tool) -t missing bucket: \(missing.stderr)")
            // STORAGE_EMULATOR_HOST without a scheme, as it is often written, pointing nowhere.
            let down = try await fx.connectivityTest(tool, emulator: String(dead.dropFirst("http://".count)))
            #expect(down.status == 2, "\(tool) -t closed port: \(down.stderr)")
        }
    }

    /// Without an emulator, key file or metadata server there is nothing to authenticate with:
    /// a one-line error naming the variable to set, exit 1, and nothing stored.
    @Test func missingCredentialsAreExplained() async throws {
        let fx = try await GCSFixture.make("nocred")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 21))
        var env = fx.gcs.environment
        env["STORAGE_EMULATOR_HOST"] = ""
        env["HOME"] = fx.dir.path
        let result = try await fx.binary.run(["--cloud-provider", "google-cloud-storage", fx.url, GCSFixture.serverName, wal],
                                             as: "cloud-wal-archive", env: env)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("GOOGLE_APPLICATION_CREDENTIALS"))
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try await fx.gcs.keys(bucket: fx.bucket).isEmpty)
    }

    @Test func sameContentAgainIsOKWithWarningDifferentContentIsRefused() async throws {
        let fx = try await GCSFixture.make("dup")
        defer { fx.cleanup() }
        let original = WALFixture.segmentBytes(Self.segment, seed: 11)
        let wal = try fx.writeWAL(Self.segment, original)
        let first = try await fx.archive(wal)
        #expect(first.status == 0, "\(first.stderr)")
        try #require(first.status == 0)

        let again = try await fx.archive(wal)
        #expect(again.status == 0, "same content again: \(again.stderr)")
        #expect(again.stderr.contains("WARNING"), "no WARNING for an already archived segment: \(again.stderr)")

        try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 12))
        let different = try await fx.archive(wal)
        #expect(different.status == 1, "different content: \(different.stderr)")
        #expect(!different.stderr.isEmpty)
        #expect(try await fx.gcs.objectData(bucket: fx.bucket, key: fx.key(Self.segment)) == original,
                "the archived object was changed")
    }

    /// The library against the server: resumable upload of a body above the threshold, listing
    /// with a delimiter, precondition, head, get, delete.
    @Test func libraryResumableUploadListingAndPrecondition() async throws {
        let fx = try await GCSFixture.make("lib")
        defer { fx.cleanup() }
        let store = GCSStore(
            configuration: GCSConfiguration(
                bucket: fx.bucket, endpoint: fx.gcs.endpoint, resumableThreshold: 1 << 20, chunkSize: 1 << 20),
            transport: AsyncHTTPClientTransport(), credentials: GCSAnonymousCredentials())
        let big = [UInt8](WALFixture.segmentBytes(Self.segment, seed: 77, size: 3 << 20) + Data([1, 2, 3]))
        #expect(try await store.put("big/object", body: big, options: PutOptions(metadata: ["cloudwal-size": "x"])) == .created)
        #expect(try await fx.gcs.objectData(bucket: fx.bucket, key: "big/object") == Data(big))
        let info = try #require(try await store.head("big/object"))
        #expect(info.size == big.count)
        #expect(info.metadata["cloudwal-size"] == "x")

        // From a file, streamed, through the resumable path too.
        let path = try fx.writeWAL("bigfile", Data(big))
        #expect(try await store.putFile("big/file", path: path, size: big.count, options: PutOptions()) == .created)
        #expect(try await fx.gcs.objectData(bucket: fx.bucket, key: "big/file") == Data(big))

        #expect(try await store.put("a/1", body: [1], options: PutOptions()) == .created)
        #expect(try await store.put("a/1", body: [2], options: PutOptions()) == .alreadyExists)
        #expect(try await store.put("a/d/2", body: [3], options: PutOptions(metadata: ["cloudwal-sha256": "abc"])) == .created)
        let listing = try await store.list(prefix: "a/", delimiter: "/")
        #expect(listing.objects.map(\.key) == ["a/1"])
        #expect(listing.commonPrefixes == ["a/d/"])
        #expect(try await store.list(prefix: "", delimiter: nil).objects.map(\.key).sorted() == ["a/1", "a/d/2", "big/file", "big/object"])

        let download = try await store.get("a/d/2")
        #expect(download.info.metadata["cloudwal-sha256"] == "abc")
        var bytes: [UInt8] = []
        for try await chunk in download.chunks { bytes += chunk }
        #expect(bytes == [3])

        try await store.delete("a/1")
        try await store.delete("a/1")
        #expect(try await store.head("a/1") == nil)
        let error = await #expect(throws: StorageError.self) { _ = try await store.get("a/1") }
        #expect(error?.kind == .notFound)
    }
}
