import CloudWAL
import Foundation
import Testing

/// What only S3 has, on moto: server-side encryption and multipart uploads above a threshold.
/// The archive/restore contract shared with the other backends is `WALArchiveTests`; the store
/// contract is `StorageContractTests`.
@Suite("S3 archive specifics (moto)", .serialized, .motoServer)
struct S3ArchiveTests {
    static let segment = "000000010000000000000002"

    @Test func serverSideEncryptionAES256IsStored() async throws {
        let fx = try await ArchiveFixture.make(.moto, "sse")
        defer { fx.cleanup() }
        let moto = try MotoServer.shared()
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 6))
        let result = try await fx.archive(wal, ["-e", "AES256"])
        #expect(result.status == 0, "\(result.stderr)")
        try #require(result.status == 0)
        let head = try #require(try await moto.head(bucket: fx.bucket, key: fx.key(Self.segment)))
        #expect(head.serverSideEncryption == "AES256")
        #expect(head.headers["x-amz-server-side-encryption"] == "AES256")
    }

    /// Large objects (base backups, segments above the threshold) go up in parts; S3's 5 MiB
    /// minimum part size applies. From memory and from a file, streamed part by part.
    @Test func multipartUploadOfALargeObject() async throws {
        let fx = try await ArchiveFixture.make(.moto, "multi")
        defer { fx.cleanup() }
        let moto = try MotoServer.shared()
        let store = S3Store(
            configuration: S3Configuration(
                bucket: fx.bucket, region: "us-east-1", endpoint: moto.endpoint, multipartThreshold: 8 << 20,
                partSize: 5 << 20),
            transport: AsyncHTTPClientTransport(),
            credentials: AWSCredentialChain.standard(
                environment: Environment(moto.environment), profile: nil, transport: AsyncHTTPClientTransport()))
        let body = (0..<(12 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let key = "\(ArchiveFixture.prefix)/large-object"
        #expect(try await store.put(key, body: body, options: PutOptions(metadata: ["cloudwal-size": "12"])) == .created)
        #expect(try await moto.objectData(bucket: fx.bucket, key: key) == Data(body))
        let head = try #require(try await store.head(key))
        #expect(head.size == body.count)
        #expect(head.metadata["cloudwal-size"] == "12")
        // A second create-only multipart upload of the same key must not replace it.
        let other = [UInt8](repeating: 9, count: 9 << 20)
        #expect(try await store.put(key, body: other, options: PutOptions()) == .alreadyExists)
        #expect(try await moto.objectData(bucket: fx.bucket, key: key) == Data(body))

        // The same from a file: three parts read one at a time, checked against the digest.
        let path = try fx.writeWAL("large-file", Data(body))
        let sha = try await sha256Hex(path)
        let fileKey = "\(ArchiveFixture.prefix)/large-file"
        #expect(try await store.putFile(fileKey, path: path, size: body.count, options: PutOptions(bodySHA256: sha)) == .created)
        #expect(try await moto.objectData(bucket: fx.bucket, key: fileKey) == Data(body))
        #expect(try await store.putFile(fileKey, path: path, size: body.count, options: PutOptions()) == .alreadyExists)
        // A file that no longer matches its digest is aborted, not completed (moto itself checks no digest).
        let wrong = String(repeating: "0", count: 64)
        await #expect(throws: StorageError.self) {
            _ = try await store.putFile("\(ArchiveFixture.prefix)/changed", path: path, size: body.count,
                                        options: PutOptions(bodySHA256: wrong))
        }
        #expect(try await moto.head(bucket: fx.bucket, key: "\(ArchiveFixture.prefix)/changed") == nil)
        #expect(try await fx.sut.pendingUploads(bucket: fx.bucket).isEmpty)
    }
}

/// moto with SigV4 checking: the credentials decide, and a wrong secret never leaks into output.
///
/// moto 5.2.1 in this mode rejects every list whose prefix contains `/`, even boto3's
/// (test-infra.md §2a), and wal-archive lists before it writes. So signed PUT, GET and HEAD are
/// proved through the library's S3 store, and the command line through `-t` and refusals.
@Suite("S3 credentials (moto auth mode)", .serialized, .motoServerWithAuth)
struct S3AuthTests {
    func store(_ fx: ArchiveFixture, _ moto: MotoServer, secret: String? = nil) -> S3Store {
        let credentials = AWSCredentials(
            accessKeyID: moto.credentials.accessKeyID, secretAccessKey: secret ?? moto.credentials.secretAccessKey)
        return S3Store(
            configuration: S3Configuration(bucket: fx.bucket, region: "us-east-1", endpoint: moto.endpoint, retry: .none),
            transport: AsyncHTTPClientTransport(), credentials: StaticCredentials(value: credentials))
    }

    struct StaticCredentials: AWSCredentialProvider {
        let value: AWSCredentials
        func credentials() async throws -> AWSCredentials { value }
    }

    @Test func signedRequestsAreAcceptedAndAWrongSecretIsRefused() async throws {
        let fx = try await ArchiveFixture.make(.moto, "auth")
        defer { fx.cleanup() }
        let moto = try MotoServer.shared()

        let test = try await fx.connectivityTest("cloud-wal-archive")
        #expect(test.status == 0, "-t with valid credentials: \(test.stderr)")

        // PUT with a payload hash, If-None-Match and metadata; then HEAD and GET, all signed.
        let content = WALFixture.segmentBytes(S3ArchiveTests.segment, seed: 31)
        let key = fx.key(S3ArchiveTests.segment)
        let valid = store(fx, moto)
        let put = try await valid.put(key, body: [UInt8](content), options: PutOptions(metadata: ["cloudwal-size": "1"]))
        #expect(put == .created)
        #expect(try await valid.put(key, body: [1], options: PutOptions()) == .alreadyExists)
        #expect(try await valid.head(key)?.metadata["cloudwal-size"] == "1")
        var fetched: [UInt8] = []
        for try await chunk in try await valid.get(key).chunks { fetched += chunk }
        #expect(fetched == [UInt8](content))
        #expect(try await moto.objectData(bucket: fx.bucket, key: key) == content)

        let wrongSecret = "WrongSecret/\(UInt64.random(in: 1...UInt64.max))+xyz"
        await #expect {
            try await store(fx, moto, secret: wrongSecret).put(fx.key("000000010000000000000004"), body: [1], options: PutOptions())
        } throws: { ($0 as? StorageError)?.kind == .accessDenied }

        var wrongEnvironment = moto.environment
        wrongEnvironment["AWS_SECRET_ACCESS_KEY"] = wrongSecret
        let other = try fx.writeWAL("000000010000000000000003", WALFixture.segmentBytes("000000010000000000000003", seed: 32))
        for refused in [
            try await fx.archive(other, env: wrongEnvironment),
            try await fx.connectivityTest("cloud-wal-archive", env: wrongEnvironment),
        ] {
            #expect(refused.status == 1, "wrong secret: \(refused.stderr)")
            let lines = refused.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == 1, "expected a one-line error: \(refused.stderr)")
            let lower = refused.stderr.lowercased()
            #expect(lower.contains("access") || lower.contains("signature"), "\(refused.stderr)")
            for secret in [wrongSecret, moto.credentials.secretAccessKey] {
                #expect(!refused.stderr.contains(secret) && !refused.stdout.contains(secret), "secret leaked")
            }
        }
        #expect(try await moto.head(bucket: fx.bucket, key: fx.key("000000010000000000000003")) == nil)
    }
}
