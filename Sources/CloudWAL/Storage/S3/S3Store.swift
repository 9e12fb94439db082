import Crypto
import Glibc

/// Amazon S3 and S3-compatible stores, over the REST API with Signature Version 4.
///
/// Every request is signed with the real payload hash, retried with backoff on throttling,
/// server errors and dropped connections, and its failure explained in one line. Writes that
/// must not replace anything use `If-None-Match: *`; a store that does not know the header
/// (501) falls back to a plain write, which the archiver's prior listing has made safe enough.
public struct S3Store: ObjectStore {
    public let configuration: S3Configuration
    private let transport: any HTTPTransport
    private let credentials: any AWSCredentialProvider
    /// Seconds since the epoch, injectable so signing is testable.
    private let now: @Sendable () -> Int

    public init(
        configuration: S3Configuration, transport: any HTTPTransport, credentials: any AWSCredentialProvider,
        now: @escaping @Sendable () -> Int = { Int(time(nil)) }
    ) {
        self.configuration = configuration
        self.transport = transport
        self.credentials = credentials
        self.now = now
    }

    var bucket: String { configuration.bucket }
    private static let maxBody = (1 << 30) + (1 << 20)

    // MARK: - ObjectStore

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome {
        if body.count > configuration.multipartThreshold {
            return try await putMultipart(key, body: body, options: options)
        }
        let payloadHash = options.bodySHA256 ?? SHA256.hash(data: body).hexString
        return try await putSingle(key, options: options, payloadHash: payloadHash, body: body, streamed: nil)
    }

    /// Streams the file from disk, never holding it whole. The signature commits to the payload's
    /// SHA-256 (and `x-amz-checksum-sha256` repeats it), so S3 refuses the upload if the file
    /// changed since it was hashed: by the caller (an uncompressed segment's digest) or, without
    /// one, by a first pass here. Above `multipartThreshold` it goes up in parts read one at a time.
    public func putFile(_ key: String, path: String, size: Int, options: PutOptions) async throws -> PutOutcome {
        if size > configuration.multipartThreshold {
            return try await putMultipart(key, path: path, size: size, options: options)
        }
        let payloadHash = try options.bodySHA256 ?? Self.sha256Hex(of: path, size: size)
        let streamed = StreamedBody(length: size) { FileChunks.stream(path, expectedSize: size) }
        return try await putSingle(key, options: options, payloadHash: payloadHash, body: [], streamed: streamed)
    }

    /// The file's SHA-256, read in chunks (the payload hash a streamed PUT is signed with).
    private static func sha256Hex(of path: String, size: Int) throws -> String {
        var digest = SHA256()
        let reader = try FileChunks(path: path, expectedSize: size)
        while let chunk = try reader.next() { digest.update(data: chunk) }
        return digest.finalize().hexString
    }

    private func putSingle(
        _ key: String, options: PutOptions, payloadHash: String, body: [UInt8], streamed: StreamedBody?
    ) async throws -> PutOutcome {
        var headers = writeHeaders(options)
        if let digest = Base64.bytes(fromHex: payloadHash) {
            // The server recomputes this and rejects a body damaged on the way.
            headers.append((name: "x-amz-checksum-sha256", value: Base64.encode(digest)))
        }
        if options.createOnly {
            headers.append((name: "If-None-Match", value: "*"))
        }
        var response = try await send(
            "PUT", key: key, headers: headers, body: body, streamedBody: streamed, payloadHash: payloadHash)
        if options.createOnly, response.status == 501 {
            headers.removeAll { $0.name == "If-None-Match" }
            response = try await send(
                "PUT", key: key, headers: headers, body: body, streamedBody: streamed, payloadHash: payloadHash)
        }
        switch response.status {
        case 200...299: return .created
        case 412 where options.createOnly: return .alreadyExists
        default: throw S3ErrorResponse(response).storageError(bucket: bucket, key: key)
        }
    }

    public func get(_ key: String) async throws -> ObjectDownload {
        let location = "s3://\(bucket)/\(key)"
        let first = try await open(key)
        guard first.status < 300 else {
            throw S3ErrorResponse(try await first.collected()).storageError(bucket: bucket, key: key)
        }
        let size = first.header("Content-Length").flatMap(Int.init) ?? 0
        let info = ObjectInfo(key: key, size: size, metadata: Self.userMetadata(first.head))
        // Bytes go straight from the socket to the decompressor and the file; a connection cut in
        // mid-body is resumed from where it stopped, from the same object version only.
        let validator = first.header("ETag")
        let chunks = ResumingBody.stream(first: first, policy: configuration.retry, location: location) { offset in
            var headers = [(name: "Range", value: "bytes=\(offset)-")]
            if let validator { headers.append((name: "If-Match", value: validator)) }
            return try await open(key, headers: headers)
        }
        return ObjectDownload(info: info, chunks: chunks)
    }

    private func open(_ key: String, headers: [(name: String, value: String)] = []) async throws -> HTTPStreamingResponse {
        try await executor.stream("S3 for s3://\(bucket)/\(key)") { attempt in
            try await signedRequest("GET", key: key, region: attempt.region ?? configuration.region, headers: headers)
        } classify: { response, attempt in
            classify(response, attempt: attempt, key: key)
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let response = try await send("HEAD", key: key)
        switch response.status {
        case 200:
            let size = response.header("Content-Length").flatMap(Int.init) ?? 0
            return ObjectInfo(key: key, size: size, metadata: Self.userMetadata(response))
        case 404:
            return nil
        default:
            throw S3ErrorResponse(response).storageError(bucket: bucket, key: key)
        }
    }

    public func list(prefix: String, delimiter: String?) async throws -> ObjectListing {
        var listing = ObjectListing()
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let delimiter { query.append(("delimiter", delimiter)) }
            if let pageSize = configuration.listPageSize { query.append(("max-keys", String(pageSize))) }
            if let token { query.append(("continuation-token", token)) }
            let response = try await send("GET", key: "", query: query)
            guard response.status == 200 else {
                throw S3ErrorResponse(response).storageError(bucket: bucket, key: prefix)
            }
            let xml = S3XML(response.body)
            for entry in xml.elements("Contents") {
                guard let key = entry.value("Key") else { continue }
                listing.objects.append(ObjectInfo(key: key, size: entry.value("Size").flatMap(Int.init) ?? 0))
            }
            for entry in xml.elements("CommonPrefixes") {
                if let prefix = entry.value("Prefix") { listing.commonPrefixes.append(prefix) }
            }
            token = xml.value("IsTruncated") == "true" ? xml.value("NextContinuationToken") : nil
        } while token != nil
        return listing
    }

    public func delete(_ key: String) async throws {
        let response = try await send("DELETE", key: key)
        guard (200...299).contains(response.status) || response.status == 404 else {
            throw S3ErrorResponse(response).storageError(bucket: bucket, key: key)
        }
    }

    public func checkBucket() async throws -> BucketStatus {
        let response = try await send("HEAD", key: "")
        switch response.status {
        case 200: return .available
        case 404: return .missing
        default: throw S3ErrorResponse(response).storageError(bucket: bucket, key: "")
        }
    }

    // MARK: - Requests

    /// Headers every object write carries: metadata, tags, encryption.
    func writeHeaders(_ options: PutOptions) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = options.metadata.sorted { $0.key < $1.key }.map {
            (name: "x-amz-meta-\($0.key)", value: $0.value)
        }
        if !options.tags.isEmpty {
            let encoded = options.tags.map {
                AWSURIEncoding.encode($0.key, keepSlash: false) + "=" + AWSURIEncoding.encode($0.value, keepSlash: false)
            }
            headers.append((name: "x-amz-tagging", value: encoded.joined(separator: "&")))
        }
        if let encryption = configuration.encryption {
            headers.append((name: "x-amz-server-side-encryption", value: encryption.rawValue))
            if let kmsKeyID = configuration.kmsKeyID {
                headers.append((name: "x-amz-server-side-encryption-aws-kms-key-id", value: kmsKeyID))
            }
        }
        return headers
    }

    /// Signs and sends one request, retrying what is worth retrying; returns the final response
    /// (which may be an error status for the caller to interpret).
    func send(
        _ method: String, key: String, query: [(String, String)] = [], headers: [(name: String, value: String)] = [],
        body: [UInt8] = [], streamedBody: StreamedBody? = nil, payloadHash: String? = nil
    ) async throws -> HTTPResponse {
        let hash = payloadHash ?? SHA256.hash(data: body).hexString
        return try await executor.send("S3 for s3://\(bucket)/\(key)", maxResponseBytes: Self.maxBody) { attempt in
            var request = try await signedRequest(
                method, key: key, region: attempt.region ?? configuration.region, query: query, headers: headers,
                body: body, payloadHash: hash)
            request.streamedBody = streamedBody
            return request
        } classify: { response, attempt in
            classify(response, attempt: attempt, key: key)
        }
    }

    private var executor: RequestExecutor {
        RequestExecutor(transport: transport, retry: configuration.retry, attemptTimeout: configuration.requestTimeout)
    }

    /// S3's wire knowledge for the executor: throttling and 5xx are retried, a bucket found in
    /// another region is followed there once; every other answer is the caller's to read.
    private func classify(_ response: HTTPResponse, attempt: RequestExecutor.Attempt, key: String) -> ResponseDecision {
        guard response.status >= 300 else { return .accept }
        let error = S3ErrorResponse(response)
        if error.isWrongRegion, let bucketRegion = error.bucketRegion, bucketRegion != (attempt.region ?? configuration.region) {
            return .redirect(region: bucketRegion)
        }
        if error.isRetryable {
            return .retry(error.storageError(bucket: bucket, key: key), after: RetryAfter.parse(response))
        }
        return .accept
    }

    private func signedRequest(
        _ method: String, key: String, region: String, query: [(String, String)] = [],
        headers: [(name: String, value: String)] = [], body: [UInt8] = [], payloadHash: String? = nil
    ) async throws -> HTTPRequest {
        var request = HTTPRequest(
            method: method, url: regionalConfiguration(region).url(key: key, query: query), headers: headers, body: body)
        SigV4Signer(region: region, service: "s3").sign(
            &request, credentials: try await credentials.credentials(),
            payloadSHA256: payloadHash ?? SigV4Signer.emptyPayloadSHA256, at: now())
        return request
    }

    private func regionalConfiguration(_ region: String) -> S3Configuration {
        var copy = configuration
        copy.region = region
        return copy
    }

    /// `x-amz-meta-*` headers without their prefix.
    private static func userMetadata(_ response: HTTPResponse) -> [String: String] {
        var metadata: [String: String] = [:]
        for header in response.headers {
            let name = header.name.lowercased()
            if name.hasPrefix("x-amz-meta-") {
                metadata[String(name.dropFirst("x-amz-meta-".count))] = header.value
            }
        }
        return metadata
    }
}
