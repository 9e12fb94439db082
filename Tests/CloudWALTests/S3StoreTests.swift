import CloudWAL
import Testing

struct FixedCredentials: AWSCredentialProvider {
    func credentials() async throws -> AWSCredentials {
        AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    }
}

@Suite("S3 store against a scripted server")
struct S3StoreTests {
    static func store(
        _ transport: ScriptedTransport, endpoint: String? = "http://127.0.0.1:9000", bucket: String = "bkt",
        style: S3Configuration.AddressingStyle = .auto, encryption: CloudOptions.ServerSideEncryption? = nil,
        multipartThreshold: Int = 100 << 20, partSize: Int = 16 << 20
    ) -> S3Store {
        let configuration = S3Configuration(
            bucket: bucket, region: "us-east-1", endpoint: endpoint, addressingStyle: style, encryption: encryption,
            kmsKeyID: encryption == .kms ? "key-1" : nil, multipartThreshold: multipartThreshold, partSize: partSize,
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2)))
        return S3Store(configuration: configuration, transport: transport, credentials: FixedCredentials(), now: { 1_700_000_000 })
    }

    static func ok(_ body: String = "", headers: [(name: String, value: String)] = []) -> ScriptedTransport.Responder {
        { _ in HTTPResponse(status: 200, headers: headers, body: Array(body.utf8)) }
    }

    static func status(_ code: Int, _ body: String = "") -> ScriptedTransport.Responder {
        { _ in HTTPResponse(status: code, body: Array(body.utf8)) }
    }

    @Test func addressing() async throws {
        let transport = ScriptedTransport([Self.ok()])
        _ = try await Self.store(transport).head("a b/c")
        _ = try await Self.store(transport, endpoint: nil, bucket: "logs").head("k")
        _ = try await Self.store(transport, endpoint: nil, bucket: "my.bucket").head("k")
        _ = try await Self.store(transport, style: .virtual).head("k")
        let urls = await transport.requests.map(\.url)
        #expect(urls == [
            "http://127.0.0.1:9000/bkt/a%20b/c",
            "https://logs.s3.us-east-1.amazonaws.com/k",
            "https://s3.us-east-1.amazonaws.com/my.bucket/k",
            "http://bkt.127.0.0.1:9000/k",
        ])
    }

    @Test func putSendsCreateOnlyChecksumMetadataTagsAndEncryption() async throws {
        let transport = ScriptedTransport([Self.ok()])
        let store = Self.store(transport, encryption: .kms)
        let outcome = try await store.put(
            "p/k", body: Array("hello".utf8),
            options: PutOptions(metadata: ["cloudwal-sha256": "abc"], tags: [ObjectTag(key: "env", value: "prod db")]))
        #expect(outcome == .created)
        let request = try #require(await transport.requests.first)
        func header(_ name: String) -> String? { request.headers.first { $0.name.lowercased() == name }?.value }
        #expect(request.method == "PUT")
        #expect(header("if-none-match") == "*")
        #expect(header("x-amz-meta-cloudwal-sha256") == "abc")
        #expect(header("x-amz-tagging") == "env=prod%20db")
        #expect(header("x-amz-server-side-encryption") == "aws:kms")
        #expect(header("x-amz-server-side-encryption-aws-kms-key-id") == "key-1")
        // SHA-256("hello"), base64: what S3 checks the received body against.
        #expect(header("x-amz-checksum-sha256") == "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")
        #expect(request.body == Array("hello".utf8))
    }

    @Test func preconditionFailedMeansAlreadyExistsAndUnsupportedConditionFallsBack() async throws {
        let exists = ScriptedTransport([Self.status(412)])
        #expect(try await Self.store(exists).put("k", body: [1], options: PutOptions()) == .alreadyExists)
        let legacy = ScriptedTransport([Self.status(501), Self.ok()])
        #expect(try await Self.store(legacy).put("k", body: [1], options: PutOptions()) == .created)
        let sent = await legacy.requests
        #expect(sent.count == 2)
        #expect(!sent[1].headers.contains { $0.name.lowercased() == "if-none-match" })
    }

    @Test func retriesThrottlingAndResetsThenSucceeds() async throws {
        let transport = ScriptedTransport([
            Self.status(503, "<Error><Code>SlowDown</Code><Message>Reduce your request rate</Message></Error>"),
            { _ in throw HTTPTransportError(.connectionReset, "reset") },
            Self.ok(),
        ])
        #expect(try await Self.store(transport).put("k", body: [1], options: PutOptions()) == .created)
        #expect(await transport.requests.count == 3)
    }

    @Test func persistentFailuresAreClassified() async throws {
        let down = ScriptedTransport([{ _ in throw HTTPTransportError(.connectFailed, "refused") }])
        await #expect { try await Self.store(down).head("k") } throws: { ($0 as? StorageError)?.kind == .unreachable }
        #expect(await down.requests.count == 3)

        let slow = ScriptedTransport([Self.status(503, "<Error><Code>SlowDown</Code></Error>")])
        await #expect { try await Self.store(slow).put("k", body: [1], options: PutOptions()) } throws: {
            ($0 as? StorageError)?.kind == .unreachable
        }

        let denied = ScriptedTransport([
            Self.status(403, "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error>")
        ])
        await #expect { try await Self.store(denied).put("k", body: [1], options: PutOptions()) } throws: { error in
            guard let error = error as? StorageError else { return false }
            return error.kind == .accessDenied && error.message.contains("secret access key")
                && !error.message.contains("wJalrXUtnFEMI")
        }
        #expect(await denied.requests.count == 1, "a 403 is not retried")

        let skew = ScriptedTransport([Self.status(403, "<Error><Code>RequestTimeTooSkewed</Code></Error>")])
        await #expect { try await Self.store(skew).head("k") } throws: {
            ($0 as? StorageError)?.message.contains("clock") == true
        }
        let noBucket = ScriptedTransport([Self.status(404, "<Error><Code>NoSuchBucket</Code></Error>")])
        await #expect { try await Self.store(noBucket).list(prefix: "p/", delimiter: "/") } throws: {
            ($0 as? StorageError)?.kind == .notFound
        }
    }

    @Test func followsTheBucketToItsRegion() async throws {
        let transport = ScriptedTransport([
            { _ in HTTPResponse(status: 301, headers: [(name: "x-amz-bucket-region", value: "eu-west-1")]) },
            Self.ok(),
        ])
        #expect(try await Self.store(transport, endpoint: nil, bucket: "logs").checkBucket() == .available)
        let urls = await transport.requests.map(\.url)
        #expect(urls == ["https://logs.s3.us-east-1.amazonaws.com/", "https://logs.s3.eu-west-1.amazonaws.com/"])
    }

    @Test func listingPagesAndDecodesKeys() async throws {
        let page1 = """
            <?xml version="1.0"?><ListBucketResult><IsTruncated>true</IsTruncated>\
            <Contents><Key>p/a&amp;b</Key><Size>3</Size></Contents>\
            <CommonPrefixes><Prefix>p/dir/</Prefix></CommonPrefixes>\
            <NextContinuationToken>tok/1=</NextContinuationToken></ListBucketResult>
            """
        let page2 = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/c</Key><Size>16777216</Size></Contents></ListBucketResult>"
        let transport = ScriptedTransport([Self.ok(page1), Self.ok(page2)])
        let listing = try await Self.store(transport).list(prefix: "p/", delimiter: "/")
        #expect(listing.objects == [ObjectInfo(key: "p/a&b", size: 3), ObjectInfo(key: "p/c", size: 16_777_216)])
        #expect(listing.commonPrefixes == ["p/dir/"])
        let urls = await transport.requests.map(\.url)
        #expect(urls[0] == "http://127.0.0.1:9000/bkt/?list-type=2&prefix=p%2F&delimiter=%2F")
        #expect(urls[1].hasSuffix("&continuation-token=tok%2F1%3D"))
    }

    @Test func getAndHeadReturnUserMetadata() async throws {
        let meta: [(name: String, value: String)] = [
            (name: "X-Amz-Meta-Cloudwal-Sha256", value: "ff"), (name: "Content-Length", value: "5"),
        ]
        let transport = ScriptedTransport([Self.ok("hello", headers: meta), Self.ok("", headers: meta), Self.status(404)])
        let download = try await Self.store(transport).get("k")
        #expect(download.info.metadata == ["cloudwal-sha256": "ff"])
        var bytes: [UInt8] = []
        for try await chunk in download.chunks { bytes += chunk }
        #expect(bytes == Array("hello".utf8))
        #expect(try await Self.store(transport).head("k") == ObjectInfo(key: "k", size: 5, metadata: ["cloudwal-sha256": "ff"]))
        #expect(try await Self.store(transport).head("gone") == nil)
    }

    @Test func multipartUploadsPartsAndCompletes() async throws {
        let transport = ScriptedTransport([
            Self.ok("<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>"),
            Self.ok(headers: [(name: "ETag", value: "\"e1\"")]),
            Self.ok(headers: [(name: "ETag", value: "\"e2\"")]),
            Self.ok(headers: [(name: "ETag", value: "\"e3\"")]),
            Self.ok("<CompleteMultipartUploadResult/>"),
        ])
        let store = Self.store(transport, multipartThreshold: 10, partSize: 10)
        let body = [UInt8](repeating: 7, count: 25)
        #expect(try await store.put("big", body: body, options: PutOptions(metadata: ["a": "b"])) == .created)
        let sent = await transport.requests
        #expect(sent.map(\.method) == ["POST", "PUT", "PUT", "PUT", "POST"])
        #expect(sent[0].url.hasSuffix("/big?uploads="))
        #expect(sent[0].headers.contains { $0.name == "x-amz-meta-a" })
        #expect(sent[1].url.hasSuffix("?partNumber=1&uploadId=U1"))
        #expect(sent.dropFirst().prefix(3).map(\.body.count) == [10, 10, 5])
        let manifest = String(decoding: sent[4].body, as: UTF8.self)
        #expect(manifest.contains("<Part><PartNumber>3</PartNumber><ETag>&quot;e3&quot;</ETag></Part>"))
        #expect(sent[4].headers.contains { $0.name == "If-None-Match" })
    }

    @Test func failedMultipartIsAborted() async throws {
        let transport = ScriptedTransport([
            Self.ok("<InitiateMultipartUploadResult><UploadId>U2</UploadId></InitiateMultipartUploadResult>"),
            Self.status(400, "<Error><Code>EntityTooSmall</Code></Error>"),
            Self.status(204),
        ])
        let store = Self.store(transport, multipartThreshold: 10, partSize: 10)
        await #expect(throws: StorageError.self) {
            try await store.put("big", body: [UInt8](repeating: 1, count: 25), options: PutOptions())
        }
        let last = try #require(await transport.requests.last)
        #expect(last.method == "DELETE")
        #expect(last.url.hasSuffix("/big?uploadId=U2"))
    }
}
