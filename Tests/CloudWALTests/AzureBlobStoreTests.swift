import CloudWAL
import Testing

/// A scripted Blob service: answers from a closure, records every request, and counts how many
/// requests were in flight at once (each answer yields for a moment so overlaps can happen).
actor AzureScriptedTransport: HTTPTransport {
    typealias Responder = @Sendable (HTTPRequest) throws -> HTTPResponse
    private let responder: Responder
    private(set) var requests: [HTTPRequest] = []
    private var inFlight = 0
    private(set) var maxInFlight = 0
    private let pause: Duration

    init(pause: Duration = .zero, _ responder: @escaping Responder) {
        self.responder = responder
        self.pause = pause
    }

    nonisolated func send(_ request: HTTPRequest, timeout: Duration, maxResponseBytes: Int) async throws -> HTTPResponse {
        try await answer(request)
    }

    private func answer(_ request: HTTPRequest) async throws -> HTTPResponse {
        requests.append(request)
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
        defer { inFlight -= 1 }
        if pause > .zero { try await Task.sleep(for: pause) }
        return try responder(request)
    }
}

@Suite("Azure Blob store against a scripted service")
struct AzureBlobStoreTests {
    static let key = AzureSharedKeyTests.key

    static func store(
        _ transport: AzureScriptedTransport, singlePut: Int = 64 << 20, blockSize: Int = 4 << 20, concurrency: Int = 1,
        scope: String? = nil, authorization: AzureAuthorization? = nil
    ) throws -> AzureBlobStore {
        let signer = try #require(AzureSharedKeySigner(account: "devstoreaccount1", base64Key: key))
        let configuration = AzureConfiguration(
            endpoint: "http://127.0.0.1:10000/devstoreaccount1", container: "wal", encryptionScope: scope,
            maxSinglePutSize: singlePut, maxBlockSize: blockSize, maxConcurrency: concurrency,
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2)))
        return AzureBlobStore(
            configuration: configuration, transport: transport, authorization: authorization ?? .sharedKey(signer),
            now: { 1_700_000_000 })
    }

    static func error(_ status: Int, _ code: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [(name: "x-ms-error-code", value: code)],
            body: Array("<?xml version=\"1.0\"?><Error><Code>\(code)</Code><Message>m\nRequestId:1</Message></Error>".utf8))
    }

    @Test func putBlobShape() async throws {
        let transport = AzureScriptedTransport { _ in HTTPResponse(status: 201) }
        let store = try Self.store(transport, scope: "scope1")
        let outcome = try await store.put(
            "pfx/a b", body: Array("hello".utf8),
            options: PutOptions(
                metadata: ["cloudwal-sha256": "abc"], tags: [ObjectTag(key: "team", value: "db ops")]))
        #expect(outcome == .created)
        let request = try #require(await transport.requests.first)
        #expect(request.method == "PUT")
        #expect(request.url == "http://127.0.0.1:10000/devstoreaccount1/wal/pfx/a%20b")
        #expect(request.header("x-ms-blob-type") == "BlockBlob")
        #expect(request.header("If-None-Match") == "*")
        #expect(request.header("Content-MD5") == "XUFAKrxLKna5cZ2REBfFkg==")  // MD5("hello")
        #expect(request.header("x-ms-meta-cloudwal_sha256") == "abc")
        #expect(request.header("x-ms-tags") == "team=db%20ops")
        #expect(request.header("x-ms-encryption-scope") == "scope1")
        #expect(request.header("x-ms-version") == "2021-08-06")
        #expect(request.header("x-ms-date") == "Tue, 14 Nov 2023 22:13:20 GMT")
        #expect(request.header("Authorization")?.hasPrefix("SharedKey devstoreaccount1:") == true)
    }

    @Test(arguments: [(409, "BlobAlreadyExists"), (412, "ConditionNotMet")])
    func existingBlobIsAlreadyExists(status: Int, code: String) async throws {
        let transport = AzureScriptedTransport { _ in Self.error(status, code) }
        let outcome = try await Self.store(transport).put("k", body: [1], options: PutOptions())
        #expect(outcome == .alreadyExists)
    }

    @Test func blocksAreSplitSentConcurrentlyAndCommittedCreateOnly() async throws {
        let transport = AzureScriptedTransport(pause: .milliseconds(20)) { _ in HTTPResponse(status: 201) }
        let store = try Self.store(transport, singlePut: 8, blockSize: 4, concurrency: 3)
        let body = Array(0..<18).map { UInt8($0) }
        let outcome = try await store.put("big", body: body, options: PutOptions(metadata: ["cloudwal-size": "18"]))
        #expect(outcome == .created)
        let requests = await transport.requests
        let blocks = requests.filter { $0.url.contains("comp=block&") }
        #expect(blocks.count == 5)
        #expect(blocks.map(\.body.count).sorted() == [2, 4, 4, 4, 4])
        #expect(blocks.allSatisfy { $0.header("Content-MD5") != nil && $0.header("If-None-Match") == nil })
        #expect(await transport.maxInFlight == 3)
        let commit = try #require(requests.last)
        #expect(commit.url.hasSuffix("/wal/big?comp=blocklist"))
        #expect(commit.header("If-None-Match") == "*")
        #expect(commit.header("x-ms-meta-cloudwal_size") == "18")
        let manifest = String(decoding: commit.body, as: UTF8.self)
        let ids = (0..<5).map(AzureBlobStore.blockID)
        #expect(manifest.contains(ids.map { "<Latest>\($0)</Latest>" }.joined()))
        #expect(Set(ids.map(\.count)).count == 1, "block IDs must have one length")
        // Block IDs go on the URL percent-encoded (base64 has + / =).
        #expect(blocks.allSatisfy { !$0.url.contains("=&") && $0.url.contains("blockid=") })
    }

    @Test func smallBodiesUseOnePut() async throws {
        let transport = AzureScriptedTransport { _ in HTTPResponse(status: 201) }
        _ = try await Self.store(transport, singlePut: 8, blockSize: 4).put("k", body: Array(repeating: 1, count: 8), options: PutOptions())
        #expect(await transport.requests.count == 1)
    }

    @Test func headMapsMetadataBackAndMissingIsNil() async throws {
        let transport = AzureScriptedTransport { request in
            request.url.hasSuffix("/absent") ? Self.error(404, "BlobNotFound")
                : HTTPResponse(status: 200, headers: [
                    (name: "Content-Length", value: "42"), (name: "x-ms-meta-cloudwal_sha256", value: "abc"),
                    (name: "x-ms-meta-cloudwal_size", value: "42"),
                ])
        }
        let store = try Self.store(transport)
        let info = try #require(try await store.head("present"))
        #expect(info.size == 42)
        #expect(info.metadata == ["cloudwal-sha256": "abc", "cloudwal-size": "42"])
        #expect(try await store.head("absent") == nil)
    }

    @Test func listFollowsNextMarkerAndRollsUpPrefixes() async throws {
        let transport = AzureScriptedTransport { request in
            if !request.url.contains("marker=") {
                return HTTPResponse(status: 200, body: Array("""
                    <?xml version="1.0"?><EnumerationResults><Blobs><Blob><Name>p/a&amp;b</Name><Properties>\
                    <Content-Length>3</Content-Length></Properties></Blob><BlobPrefix><Name>p/d/</Name></BlobPrefix>\
                    </Blobs><NextMarker>tok1</NextMarker></EnumerationResults>
                    """.utf8))
            }
            return HTTPResponse(status: 200, body: Array("""
                <EnumerationResults><Blobs><Blob><Name>p/z</Name><Properties><Content-Length>9</Content-Length>\
                </Properties></Blob></Blobs><NextMarker /></EnumerationResults>
                """.utf8))
        }
        let listing = try await Self.store(transport).list(prefix: "p/", delimiter: "/")
        #expect(listing.objects == [ObjectInfo(key: "p/a&b", size: 3), ObjectInfo(key: "p/z", size: 9)])
        #expect(listing.commonPrefixes == ["p/d/"])
        let urls = await transport.requests.map(\.url)
        #expect(urls == [
            "http://127.0.0.1:10000/devstoreaccount1/wal?restype=container&comp=list&prefix=p%2F&delimiter=%2F",
            "http://127.0.0.1:10000/devstoreaccount1/wal?restype=container&comp=list&prefix=p%2F&delimiter=%2F&marker=tok1",
        ])
    }

    @Test func getStreamsWithMetadataAndMissingIsNotFound() async throws {
        let transport = AzureScriptedTransport { request in
            request.url.hasSuffix("/absent") ? Self.error(404, "BlobNotFound")
                : HTTPResponse(status: 200, headers: [(name: "x-ms-meta-cloudwal_sha256", value: "abc")], body: [1, 2, 3])
        }
        let store = try Self.store(transport)
        let download = try await store.get("k")
        var bytes: [UInt8] = []
        for try await chunk in download.chunks { bytes += chunk }
        #expect(bytes == [1, 2, 3])
        #expect(download.info.metadata["cloudwal-sha256"] == "abc")
        await #expect(throws: StorageError.self) { _ = try await store.get("absent") }
        do {
            _ = try await store.get("absent")
        } catch let error as StorageError {
            #expect(error.kind == .notFound)
        }
    }

    @Test func checkBucketAndDelete() async throws {
        let transport = AzureScriptedTransport { request in
            if request.url.hasSuffix("restype=container") {
                return request.url.contains("/missing?") ? Self.error(404, "ContainerNotFound") : HTTPResponse(status: 200)
            }
            return Self.error(404, "BlobNotFound")
        }
        let store = try Self.store(transport)
        #expect(try await store.checkBucket() == .available)
        try await store.delete("gone")  // absent is fine
        let missing = AzureBlobStore(
            configuration: AzureConfiguration(endpoint: "http://127.0.0.1:10000/devstoreaccount1", container: "missing"),
            transport: transport, authorization: .sas("sv=1&sig=x"))
        #expect(try await missing.checkBucket() == .missing)
        let last = try #require(await transport.requests.last)
        #expect(last.method == "HEAD")
        #expect(last.url == "http://127.0.0.1:10000/devstoreaccount1/missing?restype=container&sv=1&sig=x")
        #expect(last.header("Authorization") == nil)
    }

    @Test func serverBusyIsRetriedThenSucceeds() async throws {
        let calls = CallCounter()
        let transport = AzureScriptedTransport { _ in
            calls.value += 1
            return calls.value < 3 ? Self.error(503, "ServerBusy") : HTTPResponse(status: 201)
        }
        #expect(try await Self.store(transport).put("k", body: [1], options: PutOptions()) == .created)
        #expect(await transport.requests.count == 3)
    }

    @Test func authenticationFailedIsOneLineWithoutSecrets() async throws {
        let transport = AzureScriptedTransport { _ in Self.error(403, "AuthenticationFailed") }
        do {
            _ = try await Self.store(transport).put("k", body: [1], options: PutOptions())
            Issue.record("no error")
        } catch let error as StorageError {
            #expect(error.kind == .accessDenied)
            #expect(error.message.contains("AuthenticationFailed"))
            #expect(!error.message.contains("\n"))
            #expect(!error.message.contains(Self.key))
        }
        #expect(await transport.requests.count == 1, "403 is not retried")
    }

    @Test func transportFailureIsUnreachable() async throws {
        let transport = AzureScriptedTransport { _ in throw HTTPTransportError(.connectFailed, "refused") }
        do {
            _ = try await Self.store(transport).checkBucket()
            Issue.record("no error")
        } catch let error as StorageError {
            #expect(error.kind == .unreachable)
        }
    }

    @Test func bearerTokenIsSent() async throws {
        struct Fixed: AzureTokenProvider {
            var sourceName: String { "fixed" }
            func token() async throws -> AzureAccessToken { AzureAccessToken(token: "tok", expiresOn: 0) }
        }
        let transport = AzureScriptedTransport { _ in HTTPResponse(status: 200) }
        _ = try await Self.store(transport, authorization: .bearer(Fixed())).head("k")
        #expect(await transport.requests.first?.header("Authorization") == "Bearer tok")
    }
}

/// Counts calls of a responder; `@unchecked Sendable` because the scripted transport (an actor)
/// calls its responder serially.
final class CallCounter: @unchecked Sendable {
    var value = 0
}
