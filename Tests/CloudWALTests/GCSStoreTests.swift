import CloudWAL
import Foundation
import Testing

struct FixedGCSToken: GCSTokenProvider {
    func token() async throws -> GCSAccessToken? { GCSAccessToken(value: "ya29.test-token", expiration: nil) }
}

extension HTTPRequest {
    var text: String { String(decoding: body, as: UTF8.self) }
}

@Suite("GCS store against a scripted server")
struct GCSStoreTests {
    static let endpoint = "http://127.0.0.1:4443"

    static func store(
        _ transport: ScriptedTransport, kmsKeyName: String? = nil, resumableThreshold: Int = 100 << 20,
        chunkSize: Int = 256 << 10, credentials: any GCSTokenProvider = GCSAnonymousCredentials()
    ) -> GCSStore {
        GCSStore(
            configuration: GCSConfiguration(
                bucket: "bkt", endpoint: endpoint, kmsKeyName: kmsKeyName, resumableThreshold: resumableThreshold,
                chunkSize: chunkSize, retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2))),
            transport: transport, credentials: credentials)
    }

    static func ok(_ body: String = "{}", headers: [(name: String, value: String)] = []) -> ScriptedTransport.Responder {
        { _ in HTTPResponse(status: 200, headers: headers, body: Array(body.utf8)) }
    }

    static func status(_ code: Int, _ body: String = "") -> ScriptedTransport.Responder {
        { _ in HTTPResponse(status: code, body: Array(body.utf8)) }
    }

    static func errorBody(_ code: Int, _ reason: String, _ message: String) -> String {
        #"{"error":{"code":\#(code),"message":"\#(message)","errors":[{"reason":"\#(reason)"}]}}"#
    }

    @Test func endpointWithoutSchemeIsPlainHTTP() {
        #expect(GCSConfiguration(bucket: "b", endpoint: "localhost:4443/").endpoint == "http://localhost:4443")
        #expect(GCSConfiguration(bucket: "b", endpoint: "https://gcs.example").endpoint == "https://gcs.example")
        #expect(GCSConfiguration(bucket: "b", chunkSize: 1_000_000).chunkSize == 3 * (256 << 10))
    }

    @Test func multipartUploadShape() async throws {
        let transport = ScriptedTransport(collectingStreamedBodies: true, [Self.ok()])
        let store = Self.store(transport, kmsKeyName: "projects/p/locations/l/keyRings/r/cryptoKeys/k", credentials: FixedGCSToken())
        let outcome = try await store.put(
            "pfx/pg1/wals/0000000100000000/000000010000000000000002", body: Array("hello".utf8),
            options: PutOptions(metadata: ["cloudwal-sha256": "abc"], tags: [ObjectTag(key: "env", value: "prod \"db\"")]))
        #expect(outcome == .created)
        let request = try #require(await transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.url == Self.endpoint + "/upload/storage/v1/b/bkt/o?uploadType=multipart&ifGenerationMatch=0"
            + "&kmsKeyName=projects%2Fp%2Flocations%2Fl%2FkeyRings%2Fr%2FcryptoKeys%2Fk")
        #expect(request.header("Authorization") == "Bearer ya29.test-token")
        let contentType = try #require(request.header("Content-Type"))
        #expect(contentType.hasPrefix("multipart/related; boundary="))
        let boundary = String(contentType.dropFirst("multipart/related; boundary=".count))
        let parts = request.text.components(separatedBy: "--" + boundary)
        #expect(parts.count == 4, "preamble, json, media, epilogue")
        #expect(parts.last == "--\r\n")
        let json = try #require(parts[1].components(separatedBy: "\r\n\r\n").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        let resource = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(resource["name"] as? String == "pfx/pg1/wals/0000000100000000/000000010000000000000002")
        #expect(resource["metadata"] as? [String: String] == ["cloudwal-sha256": "abc", "env": "prod \"db\""])
        // CRC32C("hello") = 0x9a71bb4c, big-endian then base64; MD5("hello") = 5d41402a...
        #expect(resource["crc32c"] as? String == "mnG7TA==")
        #expect(resource["md5Hash"] as? String == "XUFAKrxLKna5cZ2REBfFkg==")
        #expect(parts[2] == "\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n")
    }

    @Test func overwriteAllowedOmitsThePrecondition() async throws {
        let transport = ScriptedTransport(collectingStreamedBodies: true, [Self.ok()])
        _ = try await Self.store(transport).put("k", body: [1], options: PutOptions(createOnly: false))
        let request = try #require(await transport.requests.first)
        #expect(request.url == Self.endpoint + "/upload/storage/v1/b/bkt/o?uploadType=multipart")
        #expect(request.header("Authorization") == nil, "an emulator gets no credentials")
    }

    @Test func preconditionFailedMeansAlreadyExists() async throws {
        let transport = ScriptedTransport(collectingStreamedBodies: true, [Self.status(412, Self.errorBody(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold."))])
        let outcome = try await Self.store(transport).put("k", body: [1, 2], options: PutOptions())
        #expect(outcome == .alreadyExists)
        #expect(await transport.requests.count == 1)
    }

    @Test func putFileStreamsTheSameBodyAndChecksTheDigest() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gcs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("seg").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        let sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

        let transport = ScriptedTransport(collectingStreamedBodies: true, [Self.ok()])
        let outcome = try await Self.store(transport).putFile("k", path: path, size: 5, options: PutOptions(bodySHA256: sha))
        #expect(outcome == .created)
        let request = try #require(await transport.requests.first)
        #expect(request.text.contains("\"crc32c\":\"mnG7TA==\""))
        #expect(request.text.contains("\r\n\r\nhello\r\n--cloudwal-"))

        let refused = ScriptedTransport(collectingStreamedBodies: true, [Self.ok()])
        await #expect(throws: StorageError.self) {
            _ = try await Self.store(refused).putFile("k", path: path, size: 5, options: PutOptions(bodySHA256: String(repeating: "0", count: 64)))
        }
        #expect(await refused.requests.isEmpty)
    }

    @Test func resumableUploadSendsChunksAndFollowsTheCommittedRange() async throws {
        let chunk = 256 << 10
        let body = (0..<(2 * chunk + 1000)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let session = "http://127.0.0.1:4443/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=xyz"
        let transport = ScriptedTransport(collectingStreamedBodies: true, [
            Self.ok("", headers: [(name: "Location", value: session)]),
            { _ in HTTPResponse(status: 308, headers: [(name: "Range", value: "bytes=0-\(chunk - 1)")]) },
            // A dropped middle chunk: the store asks what was kept, then resends.
            Self.status(503),
            { _ in HTTPResponse(status: 308, headers: [(name: "Range", value: "bytes=0-\(chunk - 1)")]) },
            { _ in HTTPResponse(status: 308, headers: [(name: "Range", value: "bytes=0-\(2 * chunk - 1)")]) },
            Self.ok(#"{"name":"big","size":"\#(body.count)"}"#),
        ])
        let store = Self.store(transport, resumableThreshold: chunk, chunkSize: chunk)
        let outcome = try await store.put("big", body: body, options: PutOptions(metadata: ["cloudwal-size": "x"]))
        #expect(outcome == .created)
        let requests = await transport.requests
        #expect(requests.count == 6)
        #expect(requests[0].url == Self.endpoint + "/upload/storage/v1/b/bkt/o?uploadType=resumable&ifGenerationMatch=0")
        #expect(requests[0].header("X-Upload-Content-Length") == String(body.count))
        #expect(requests[0].text.contains("\"name\":\"big\""))
        let total = body.count
        #expect(requests[1...].map { $0.header("Content-Range") } == [
            "bytes 0-\(chunk - 1)/\(total)", "bytes \(chunk)-\(2 * chunk - 1)/\(total)", "bytes */\(total)",
            "bytes \(chunk)-\(2 * chunk - 1)/\(total)", "bytes \(2 * chunk)-\(total - 1)/\(total)",
        ])
        #expect(requests[1...].allSatisfy { $0.url == session && $0.method == "PUT" })
        #expect(requests[5].body == Array(body[(2 * chunk)...]))
    }

    @Test func listFollowsPageTokens() async throws {
        let transport = ScriptedTransport(collectingStreamedBodies: true, [
            Self.ok(#"{"kind":"storage#objects","items":[{"name":"p/a","size":"10"}],"prefixes":["p/d1/"],"nextPageToken":"tok 2"}"#),
            Self.ok(#"{"items":[{"name":"p/b","size":"20","metadata":{"k":"v"}}]}"#),
        ])
        let listing = try await Self.store(transport).list(prefix: "p/", delimiter: "/")
        #expect(listing.objects == [ObjectInfo(key: "p/a", size: 10), ObjectInfo(key: "p/b", size: 20, metadata: ["k": "v"])])
        #expect(listing.commonPrefixes == ["p/d1/"])
        let urls = await transport.requests.map(\.url)
        #expect(urls == [
            Self.endpoint + "/storage/v1/b/bkt/o?prefix=p%2F&delimiter=%2F",
            Self.endpoint + "/storage/v1/b/bkt/o?prefix=p%2F&delimiter=%2F&pageToken=tok%202",
        ])
    }

    @Test func headAndGetCarryMetadata() async throws {
        let resource = #"{"name":"a b/c","size":"5","generation":"1700000000123456","metadata":{"cloudwal-sha256":"abc"}}"#
        let transport = ScriptedTransport(collectingStreamedBodies: true, [Self.ok(resource), Self.ok(resource), Self.ok("hello")])
        let store = Self.store(transport)
        #expect(try await store.head("a b/c") == ObjectInfo(key: "a b/c", size: 5, metadata: ["cloudwal-sha256": "abc"]))
        let download = try await store.get("a b/c")
        #expect(download.info.metadata["cloudwal-sha256"] == "abc")
        var bytes: [UInt8] = []
        for try await chunk in download.chunks { bytes += chunk }
        #expect(bytes == Array("hello".utf8))
        let urls = await transport.requests.map(\.url)
        #expect(urls[0] == Self.endpoint + "/storage/v1/b/bkt/o/a%20b%2Fc")
        #expect(urls[2] == Self.endpoint + "/storage/v1/b/bkt/o/a%20b%2Fc?alt=media&generation=1700000000123456")
    }

    @Test func missingObjectsAndBuckets() async throws {
        let notFound = Self.status(404, Self.errorBody(404, "notFound", "No such object: bkt/k"))
        let store = Self.store(ScriptedTransport(collectingStreamedBodies: true, [notFound]))
        #expect(try await store.head("k") == nil)
        try await store.delete("k")
        #expect(try await store.checkBucket() == .missing)
        let error = await #expect(throws: StorageError.self) { _ = try await store.get("k") }
        #expect(error?.kind == .notFound)
        let listError = await #expect(throws: StorageError.self) { _ = try await store.list(prefix: "", delimiter: nil) }
        #expect(listError?.message == "Bucket bkt does not exist")
        #expect(try await Self.store(ScriptedTransport(collectingStreamedBodies: true, [Self.ok(#"{"name":"bkt"}"#)])).checkBucket() == .available)
    }

    @Test(arguments: [
        (401, StorageError.Kind.accessDenied, "GOOGLE_APPLICATION_CREDENTIALS"),
        (403, .accessDenied, "permissions"),
        (400, .invalidRequest, "invalid"),
        (503, .unreachable, "kept failing"),
        (429, .unreachable, "kept failing"),
        (409, .failed, "refused"),
    ])
    func errorMapping(status: Int, kind: StorageError.Kind, hint: String) async throws {
        let transport = ScriptedTransport(collectingStreamedBodies: true, [Self.status(status, Self.errorBody(status, "invalid", "Something went wrong."))])
        let error = await #expect(throws: StorageError.self) { _ = try await Self.store(transport).head("k") }
        #expect(error?.kind == kind)
        #expect(error?.message.contains(hint) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\n") == false)
        // Throttling and server errors are retried (3 attempts), the rest are not.
        #expect(await transport.requests.count == (status >= 429 && status != 409 ? 3 : 1))
    }

    @Test func unreachableServerIsUnreachable() async throws {
        let transport = ScriptedTransport(collectingStreamedBodies: true, [{ _ in throw HTTPTransportError(.connectFailed, "Cannot connect to 127.0.0.1:1: connection refused") }])
        let error = await #expect(throws: StorageError.self) { _ = try await Self.store(transport).checkBucket() }
        #expect(error?.kind == .unreachable)
        #expect(await transport.requests.count == 3)
    }
}
