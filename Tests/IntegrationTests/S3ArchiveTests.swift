import CloudWAL
import Foundation
import Testing

/// One test's world against the suite's moto: the staged binary, a scratch directory (a fake
/// pg_wal and restore destinations) and a bucket of its own.
struct S3Fixture {
    static let prefix = "pfx/sub"
    static let serverName = "pg1"

    let moto: MotoServer
    let binary: TestBinary
    let dir: TempDirectory
    let bucket: String
    var url: String { "s3://\(bucket)/\(Self.prefix)" }

    static func make(_ hint: String, createBucket: Bool = true) async throws -> S3Fixture {
        let moto = try MotoServer.shared()
        let binary = try TestBinary.prepare()
        let dir: TempDirectory
        do {
            dir = try TempDirectory.make(prefix: "cloudwal-s3", ownedByServer: false)
        } catch {
            binary.cleanup()
            throw error
        }
        let fixture = S3Fixture(moto: moto, binary: binary, dir: dir, bucket: moto.uniqueBucketName(hint))
        if createBucket {
            do { try await moto.createBucket(fixture.bucket) } catch { fixture.cleanup(); throw error }
        }
        return fixture
    }

    func cleanup() {
        binary.cleanup()
        dir.remove()
    }

    /// Writes `data` as `pg_wal/<name>` and returns its path.
    @discardableResult
    func writeWAL(_ name: String, _ data: Data) throws -> String {
        let folder = dir.path + "/pg_wal"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A fresh destination path (not created) for a restore.
    func destination(_ name: String = "RECOVERYXLOG") throws -> String {
        let folder = dir.path + "/restore-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder + "/" + name
    }

    func key(_ name: String, ext: String = "") -> String {
        WALFixture.key(prefix: Self.prefix, server: Self.serverName, name: name, ext: ext)
    }

    /// `cloud-wal-archive --endpoint-url <moto> [options] s3://bucket/prefix pg1 <path>`.
    func archive(_ walPath: String, _ options: [String] = [], url: String? = nil, endpoint: String? = nil,
                 env: [String: String]? = nil) async throws -> ProcessResult {
        try await binary.run(["--endpoint-url", endpoint ?? moto.endpoint] + options
                                 + [url ?? self.url, Self.serverName, walPath],
                             as: "cloud-wal-archive", env: env ?? moto.environment)
    }

    /// `cloud-wal-restore --endpoint-url <moto> [options] s3://bucket/prefix pg1 <name> <dest>`.
    func restore(_ walName: String, to dest: String, _ options: [String] = [], url: String? = nil,
                 endpoint: String? = nil, env: [String: String]? = nil) async throws -> ProcessResult {
        try await binary.run(["--endpoint-url", endpoint ?? moto.endpoint] + options
                                 + [url ?? self.url, Self.serverName, walName, dest],
                             as: "cloud-wal-restore", env: env ?? moto.environment)
    }

    /// `-t` of either command (no WAL argument).
    func connectivityTest(_ tool: String, url: String? = nil, endpoint: String? = nil) async throws -> ProcessResult {
        try await binary.run(["-t", "--endpoint-url", endpoint ?? moto.endpoint, url ?? self.url, Self.serverName],
                             as: tool, env: moto.environment)
    }

    /// Archives and throws with the tool's stderr unless it exits 0.
    func checkedArchive(_ walPath: String, _ options: [String] = []) async throws {
        let result = try await archive(walPath, options)
        guard result.succeeded else {
            throw HarnessError("cloud-wal-archive \(options.joined(separator: " ")) \(walPath) exited \(result.status): "
                               + lastLines(result.stderr, lines: 10))
        }
    }
}

/// Reads a file the test produced.
func fileData(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

/// Hex SHA-256 via sha256sum (the test target has no crypto dependency of its own).
func sha256Hex(_ path: String) async throws -> String {
    let result = try await ProcessRunner.check("/usr/bin/sha256sum", [path])
    return String(result.stdout.prefix(64))
}

/// A port on 127.0.0.1 where nothing listens.
func deadEndpoint() throws -> String { "http://127.0.0.1:\(try Network.freeLoopbackPort())" }

/// The archive/restore contract against a real S3 API (moto): keys, compression, tags, SSE,
/// duplicates, exit codes. Drives the built binary exactly like archive_command/restore_command.
@Suite("S3 archive and restore (moto)", .serialized, .motoServer)
struct S3ArchiveTests {
    static let segment = "000000010000000000000002"

    @Test(arguments: WALFixture.compressions)
    func roundTripIsByteIdenticalAtBarmansKey(compression: WALFixture.Compression) async throws {
        let fx = try await S3Fixture.make("rt-\(compression.name)")
        defer { fx.cleanup() }
        let content = WALFixture.segmentBytes(Self.segment, seed: UInt64(compression.name.utf8.count) * 7 + 3)
        let wal = try fx.writeWAL(Self.segment, content)

        let archived = try await fx.archive(wal, compression.flags)
        #expect(archived.status == 0, "archive \(compression.name): \(archived.stderr)")
        try #require(archived.status == 0)

        let key = fx.key(Self.segment, ext: compression.ext)
        let keys = try await fx.moto.keys(bucket: fx.bucket)
        #expect(keys == [key], "expected exactly barman's key")
        let head = try #require(try await fx.moto.head(bucket: fx.bucket, key: key), "no object at \(key)")
        #expect(head.metadata["cloudwal-sha256"] == (try await sha256Hex(wal)))
        #expect(head.metadata["cloudwal-size"] == String(content.count))
        if compression.name == "none" {
            #expect(try await fx.moto.objectData(bucket: fx.bucket, key: key) == content)
        } else {
            #expect(head.contentLength < content.count, "\(compression.name) did not compress")
        }

        let dest = try fx.destination()
        let restored = try await fx.restore(Self.segment, to: dest)
        #expect(restored.status == 0, "restore \(compression.name): \(restored.stderr)")
        #expect(fileData(dest) == content, "restored bytes differ (\(compression.name))")
    }

    @Test func historyAndPartialRoundTrip() async throws {
        let fx = try await S3Fixture.make("hist-partial")
        defer { fx.cleanup() }
        let history = Data("1\t0/3000000\tno recovery target specified\n".utf8)
        let historyPath = try fx.writeWAL("00000002.history", history)
        let partial = WALFixture.segmentBytes("000000010000000000000003.partial", seed: 42)
        let partialPath = try fx.writeWAL("000000010000000000000003.partial", partial)

        for (path, options) in [(historyPath, []), (partialPath, ["-z"])] {
            let result = try await fx.archive(path, options)
            #expect(result.status == 0, "archive \(path): \(result.stderr)")
        }
        let keys = try await fx.moto.keys(bucket: fx.bucket)
        #expect(keys == [fx.key("000000010000000000000003.partial", ext: ".gz"), fx.key("00000002.history")].sorted())
        #expect(keys.contains("pfx/sub/pg1/wals/00000002.history"))

        let historyDest = try fx.destination()
        let gotHistory = try await fx.restore("00000002.history", to: historyDest)
        #expect(gotHistory.status == 0, "\(gotHistory.stderr)")
        #expect(fileData(historyDest) == history)

        // PostgreSQL asks for the segment name; only the .partial exists.
        let segmentDest = try fx.destination()
        let gotPartial = try await fx.restore("000000010000000000000003", to: segmentDest)
        #expect(gotPartial.status == 0, "\(gotPartial.stderr)")
        #expect(fileData(segmentDest) == partial)

        // A history file that was never archived: 1 (PostgreSQL probes for these).
        let missingHistory = try await fx.restore("00000003.history", to: try fx.destination())
        #expect(missingHistory.status == 1, "\(missingHistory.stderr)")
    }

    @Test func tagsBecomeObjectTags() async throws {
        let fx = try await S3Fixture.make("tags")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 5))
        let result = try await fx.archive(wal, ["--tag", "env,ci", "--tag", "team, db ops", "--zstd"])
        #expect(result.status == 0, "\(result.stderr)")
        try #require(result.status == 0)
        let tags = try await fx.moto.tags(bucket: fx.bucket, key: fx.key(Self.segment, ext: ".zst"))
        #expect(tags == ["env": "ci", "team": "db ops"])
    }

    @Test func serverSideEncryptionAES256IsStored() async throws {
        let fx = try await S3Fixture.make("sse")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 6))
        let result = try await fx.archive(wal, ["-e", "AES256"])
        #expect(result.status == 0, "\(result.stderr)")
        try #require(result.status == 0)
        let head = try #require(try await fx.moto.head(bucket: fx.bucket, key: fx.key(Self.segment)))
        #expect(head.serverSideEncryption == "AES256")
        #expect(head.headers["x-amz-server-side-encryption"] == "AES256")
    }

    @Test func connectivityTestExitCodes() async throws {
        let fx = try await S3Fixture.make("conn")
        defer { fx.cleanup() }
        let dead = try deadEndpoint()
        let missingBucket = "s3://\(fx.moto.uniqueBucketName("absent"))/p"
        for tool in ["cloud-wal-archive", "cloud-wal-restore"] {
            let ok = try await fx.connectivityTest(tool)
            #expect(ok.status == 0, "\(tool) -t existing bucket: \(ok.stderr)")
            let missing = try await fx.connectivityTest(tool, url: missingBucket)
            #expect(missing.status == 1, "\(tool) -t missing bucket: \(missing.stderr)")
            let down = try await fx.connectivityTest(tool, endpoint: dead)
            #expect(down.status == 2, "\(tool) -t closed port: \(down.stderr)")
        }
    }

    @Test func sameContentAgainIsOKWithWarningDifferentContentIsRefused() async throws {
        let fx = try await S3Fixture.make("dup")
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
        #expect(try await fx.moto.objectData(bucket: fx.bucket, key: fx.key(Self.segment)) == original,
                "the archived object was changed")

        // The same rule holds when the first copy was compressed: the content is what counts.
        let zwal = try fx.writeWAL("000000010000000000000005", WALFixture.segmentBytes("000000010000000000000005", seed: 13))
        #expect(try await fx.archive(zwal, ["-z"]).status == 0)
        let zkey = fx.key("000000010000000000000005", ext: ".gz")
        let stored = try await fx.moto.objectData(bucket: fx.bucket, key: zkey)
        try fx.writeWAL("000000010000000000000005", WALFixture.segmentBytes("000000010000000000000005", seed: 14))
        let zdifferent = try await fx.archive(zwal, ["-z"])
        #expect(zdifferent.status == 1, "different content, gzip: \(zdifferent.stderr)")
        #expect(try await fx.moto.objectData(bucket: fx.bucket, key: zkey) == stored)
    }

    /// Large objects (base backups later) go up in parts; S3's 5 MiB minimum part size applies.
    @Test func multipartUploadOfALargeObject() async throws {
        let fx = try await S3Fixture.make("multi")
        defer { fx.cleanup() }
        let store = S3Store(
            configuration: S3Configuration(
                bucket: fx.bucket, region: "us-east-1", endpoint: fx.moto.endpoint, multipartThreshold: 8 << 20,
                partSize: 5 << 20),
            transport: AsyncHTTPClientTransport(),
            credentials: AWSCredentialChain.standard(
                environment: Environment(fx.moto.environment), profile: nil, transport: AsyncHTTPClientTransport()))
        let body = (0..<(12 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let key = "\(S3Fixture.prefix)/large-object"
        #expect(try await store.put(key, body: body, options: PutOptions(metadata: ["cloudwal-size": "12"])) == .created)
        #expect(try await fx.moto.objectData(bucket: fx.bucket, key: key) == Data(body))
        let head = try #require(try await store.head(key))
        #expect(head.size == body.count)
        #expect(head.metadata["cloudwal-size"] == "12")
        // A second create-only multipart upload of the same key must not replace it.
        let other = [UInt8](repeating: 9, count: 9 << 20)
        #expect(try await store.put(key, body: other, options: PutOptions()) == .alreadyExists)
        #expect(try await fx.moto.objectData(bucket: fx.bucket, key: key) == Data(body))
    }

    @Test func archiveFailuresExitOneOrTwo() async throws {
        let fx = try await S3Fixture.make("afail")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 21))

        let missingFile = try await fx.archive(fx.dir.path + "/pg_wal/000000010000000000000009")
        #expect(missingFile.status == 1, "missing file: \(missingFile.stderr)")

        let noBucket = try await fx.archive(wal, url: "s3://\(fx.moto.uniqueBucketName("absent"))/p")
        #expect(noBucket.status == 1, "no such bucket: \(noBucket.stderr)")

        let down = try await fx.archive(wal, endpoint: try deadEndpoint())
        #expect(down.status == 2, "closed port: \(down.stderr)")
        #expect(try await fx.moto.keys(bucket: fx.bucket).isEmpty)
    }

    @Test func restoreOfMissingSegmentExitsOneAndDeadEndpointTwo() async throws {
        let fx = try await S3Fixture.make("rfail")
        defer { fx.cleanup() }
        let dest = try fx.destination()
        let missing = try await fx.restore(Self.segment, to: dest)
        #expect(missing.status == 1, "missing segment: \(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dest), "a failed restore left \(dest)")

        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 22))
        try await fx.checkedArchive(wal)
        let down = try await fx.restore(Self.segment, to: dest, endpoint: try deadEndpoint())
        #expect(down.status == 2, "closed port: \(down.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dest))
    }
}

/// moto with SigV4 checking: the credentials decide, and a wrong secret never leaks into output.
///
/// moto 5.2.1 in this mode rejects every list whose prefix contains `/`, even boto3's
/// (test-infra.md §2a), and wal-archive lists before it writes. So signed PUT, GET and HEAD are
/// proved through the library's S3 store, and the command line through `-t` and refusals.
@Suite("S3 credentials (moto auth mode)", .serialized, .motoServerWithAuth)
struct S3AuthTests {
    func store(_ fx: S3Fixture, secret: String? = nil) -> S3Store {
        let credentials = AWSCredentials(
            accessKeyID: fx.moto.credentials.accessKeyID,
            secretAccessKey: secret ?? fx.moto.credentials.secretAccessKey)
        return S3Store(
            configuration: S3Configuration(
                bucket: fx.bucket, region: "us-east-1", endpoint: fx.moto.endpoint, retry: .none),
            transport: AsyncHTTPClientTransport(), credentials: StaticCredentials(value: credentials))
    }

    struct StaticCredentials: AWSCredentialProvider {
        let value: AWSCredentials
        func credentials() async throws -> AWSCredentials { value }
    }

    @Test func signedRequestsAreAcceptedAndAWrongSecretIsRefused() async throws {
        let fx = try await S3Fixture.make("auth")
        defer { fx.cleanup() }

        let test = try await fx.connectivityTest("cloud-wal-archive")
        #expect(test.status == 0, "-t with valid credentials: \(test.stderr)")

        // PUT with a payload hash, If-None-Match and metadata; then HEAD and GET, all signed.
        let content = WALFixture.segmentBytes(S3ArchiveTests.segment, seed: 31)
        let key = fx.key(S3ArchiveTests.segment)
        let valid = store(fx)
        let put = try await valid.put(key, body: [UInt8](content), options: PutOptions(metadata: ["cloudwal-size": "1"]))
        #expect(put == .created)
        #expect(try await valid.put(key, body: [1], options: PutOptions()) == .alreadyExists)
        #expect(try await valid.head(key)?.metadata["cloudwal-size"] == "1")
        var fetched: [UInt8] = []
        for try await chunk in try await valid.get(key).chunks { fetched += chunk }
        #expect(fetched == [UInt8](content))
        #expect(try await fx.moto.objectData(bucket: fx.bucket, key: key) == content)

        let wrongSecret = "WrongSecret/\(UInt64.random(in: 1...UInt64.max))+xyz"
        await #expect {
            try await store(fx, secret: wrongSecret).put(fx.key("000000010000000000000004"), body: [1], options: PutOptions())
        } throws: { ($0 as? StorageError)?.kind == .accessDenied }

        var wrongEnvironment = fx.moto.environment
        wrongEnvironment["AWS_SECRET_ACCESS_KEY"] = wrongSecret
        let other = try fx.writeWAL("000000010000000000000003", WALFixture.segmentBytes("000000010000000000000003", seed: 32))
        for refused in [
            try await fx.archive(other, env: wrongEnvironment),
            try await fx.binary.run(
                ["-t", "--endpoint-url", fx.moto.endpoint, fx.url, S3Fixture.serverName], as: "cloud-wal-archive",
                env: wrongEnvironment),
        ] {
            #expect(refused.status == 1, "wrong secret: \(refused.stderr)")
            let lines = refused.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == 1, "expected a one-line error: \(refused.stderr)")
            let lower = refused.stderr.lowercased()
            #expect(lower.contains("access") || lower.contains("signature"), "\(refused.stderr)")
            for secret in [wrongSecret, fx.moto.credentials.secretAccessKey] {
                #expect(!refused.stderr.contains(secret) && !refused.stdout.contains(secret), "secret leaked")
            }
        }
        #expect(try await fx.moto.head(bucket: fx.bucket, key: fx.key("000000010000000000000003")) == nil)
    }
}
