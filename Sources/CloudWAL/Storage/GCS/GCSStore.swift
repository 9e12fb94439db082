import Crypto

/// Google Cloud Storage over the JSON API, with OAuth bearer tokens (none for an emulator).
///
/// Writes carry CRC32C and MD5 of the body, which Google checks, and `ifGenerationMatch=0` when
/// nothing may be replaced (412 means the object exists). Bodies up to `resumableThreshold` go up
/// as one multipart request; larger ones in resumable chunks that survive a dropped connection.
/// Every request is retried with backoff on throttling, server errors and transport failures.
public struct GCSStore: ObjectStore {
    public let configuration: GCSConfiguration
    private let transport: any HTTPTransport
    private let credentials: any GCSTokenProvider

    public init(configuration: GCSConfiguration, transport: any HTTPTransport, credentials: any GCSTokenProvider) {
        self.configuration = configuration
        self.transport = transport
        self.credentials = credentials
    }

    private var bucket: String { configuration.bucket }
    private static let maxBody = (1 << 30) + (1 << 20)

    // MARK: - ObjectStore

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome {
        let upload = GCSUploadMetadata(
            name: key, options: options, crc32c: CRC32C.checksum(body), md5: Array(Insecure.MD5.hash(data: body)))
        if body.count > configuration.resumableThreshold {
            return try await putResumable(key, upload: upload, total: body.count, options: options) { offset, length in
                Array(body[offset..<offset + length])
            }
        }
        return try await putMultipart(key, upload: upload, options: options, body: body, file: nil)
    }

    /// Reads the file twice, never holding it whole: once for the checksums the upload declares
    /// (and to check `bodySHA256`), then while sending. Google compares the bytes it receives with
    /// the declared CRC32C and MD5, so a file that changes between the passes is refused.
    public func putFile(_ key: String, path: String, size: Int, options: PutOptions) async throws -> PutOutcome {
        var crc: UInt32 = 0
        var md5 = Insecure.MD5()
        var sha256 = SHA256()
        for try await chunk in FileChunks.stream(path, expectedSize: size) {
            crc = chunk.withUnsafeBytes { CRC32C.checksum($0, continuing: crc) }
            md5.update(data: chunk)
            if options.bodySHA256 != nil { sha256.update(data: chunk) }
        }
        if let expected = options.bodySHA256, sha256.finalize().hexString != expected.lowercased() {
            throw StorageError(.failed, "\(path) changed while being archived: its SHA-256 no longer matches")
        }
        let upload = GCSUploadMetadata(name: key, options: options, crc32c: crc, md5: Array(md5.finalize()))
        if size > configuration.resumableThreshold {
            return try await putResumable(key, upload: upload, total: size, options: options) { offset, length in
                try GCSFileRange.read(path, offset: offset, length: length)
            }
        }
        return try await putMultipart(key, upload: upload, options: options, body: [], file: (path, size))
    }

    public func get(_ key: String) async throws -> ObjectDownload {
        // The object resource first: it carries the metadata (`cloudwal-sha256`, which restore
        // verifies) that a media download does not; its generation pins the bytes to that metadata.
        guard let resource = try await resource(key) else {
            throw StorageError(.notFound, "\(key): no such object")
        }
        var query = [("alt", "media")]
        if let generation = resource.generation { query.append(("generation", generation)) }
        let url = configuration.objectURL(key, query: query)
        let response = try await open(key, url: url)
        guard response.status < 300 else {
            throw GCSErrorResponse(try await response.collected()).storageError(bucket: bucket, key: key)
        }
        var metadata = resource.metadata
        for header in response.headers where header.name.lowercased().hasPrefix("x-goog-meta-") {
            metadata[String(header.name.lowercased().dropFirst("x-goog-meta-".count))] = header.value
        }
        let info = ObjectInfo(key: key, size: resource.size, metadata: metadata)
        // A connection cut in mid-body is resumed from where it stopped; the URL names the
        // generation, so the rest comes from the same bytes.
        let chunks = ResumingBody.stream(first: response, policy: configuration.retry, location: "gs://\(bucket)/\(key)") {
            offset in
            try await open(key, url: url, headers: [(name: "Range", value: "bytes=\(offset)-")])
        }
        return ObjectDownload(info: info, chunks: chunks)
    }

    private func open(_ key: String, url: String, headers: [(name: String, value: String)] = []) async throws
        -> HTTPStreamingResponse
    {
        try await executor.stream("Google Cloud Storage for gs://\(bucket)/\(key)") { _ in
            HTTPRequest(method: "GET", url: url, headers: try await authorization() + headers)
        } classify: { response, _ in
            classify(response, key: key)
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        try await resource(key)?.info
    }

    public func list(prefix: String, delimiter: String?) async throws -> ObjectListing {
        var listing = ObjectListing()
        // fake-gcs-server repeats every prefix on every page; each is kept once.
        var seenPrefixes = Set<String>()
        var token: String?
        repeat {
            var query = [("prefix", prefix)]
            if let delimiter { query.append(("delimiter", delimiter)) }
            if let pageSize = configuration.listPageSize { query.append(("maxResults", String(pageSize))) }
            if let token { query.append(("pageToken", token)) }
            let response = try await send("GET", configuration.url("/o", query: query), key: prefix)
            guard response.status == 200 else { throw bucketError(response, key: prefix) }
            let document = JSONValue.parse(String(decoding: response.body, as: UTF8.self))
            for item in document?["items"]?.arrayValue ?? [] {
                if let object = GCSObjectResource(item) { listing.objects.append(object.info) }
            }
            for entry in document?["prefixes"]?.arrayValue ?? [] {
                if let prefix = entry.stringValue, seenPrefixes.insert(prefix).inserted {
                    listing.commonPrefixes.append(prefix)
                }
            }
            token = document?["nextPageToken"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return listing
    }

    public func delete(_ key: String) async throws {
        let response = try await send("DELETE", configuration.objectURL(key), key: key)
        guard (200...299).contains(response.status) || response.status == 404 else {
            throw GCSErrorResponse(response).storageError(bucket: bucket, key: key)
        }
    }

    public func checkBucket() async throws -> BucketStatus {
        let response = try await send("GET", configuration.url(), key: "")
        switch response.status {
        case 200: return .available
        case 404: return .missing
        default: throw GCSErrorResponse(response).storageError(bucket: bucket, key: "")
        }
    }

    // MARK: - Uploads

    /// Query parameters every object write carries.
    private func writeQuery(_ uploadType: String, options: PutOptions) -> [(String, String)] {
        var query = [("uploadType", uploadType)]
        // Generation 0 means "no live object": Google answers 412 when one exists.
        if options.createOnly { query.append(("ifGenerationMatch", "0")) }
        if let kmsKeyName = configuration.kmsKeyName { query.append(("kmsKeyName", kmsKeyName)) }
        return query
    }

    /// One request: the JSON resource and the bytes as a `multipart/related` body. With `file`,
    /// the bytes are read from disk as they are sent, and again from the start on a retry.
    private func putMultipart(
        _ key: String, upload: GCSUploadMetadata, options: PutOptions, body: [UInt8], file: (path: String, size: Int)?
    ) async throws -> PutOutcome {
        let multipart = GCSMultipartBody(json: upload.json)
        let headers = [(name: "Content-Type", value: multipart.contentType)]
        let url = configuration.url("/o", upload: true, query: writeQuery("multipart", options: options))
        let response: HTTPResponse
        if let file {
            let streamed = StreamedBody(length: multipart.length(bodyLength: file.size)) {
                multipart.stream(FileChunks.stream(file.path, expectedSize: file.size))
            }
            response = try await send("POST", url, key: key, headers: headers, streamedBody: streamed)
        } else {
            response = try await send("POST", url, key: key, headers: headers, body: multipart.assemble(body))
        }
        switch response.status {
        case 200...299: return .created
        case 412 where options.createOnly: return .alreadyExists
        default: throw GCSErrorResponse(response).storageError(bucket: bucket, key: key)
        }
    }

    /// Starts a resumable session, then sends `chunkSize` pieces. After a failed piece it asks the
    /// session how much Google kept (`Content-Range: bytes */N`) and goes on from there, within
    /// the retry policy's attempts; a session that cannot finish is cancelled.
    private func putResumable(
        _ key: String, upload: GCSUploadMetadata, total: Int, options: PutOptions,
        read: @Sendable (Int, Int) async throws -> [UInt8]
    ) async throws -> PutOutcome {
        let started = try await send(
            "POST", configuration.url("/o", upload: true, query: writeQuery("resumable", options: options)), key: key,
            headers: [
                (name: "Content-Type", value: "application/json; charset=UTF-8"),
                (name: "X-Upload-Content-Type", value: "application/octet-stream"),
                (name: "X-Upload-Content-Length", value: String(total)),
            ], body: Array(upload.json.utf8))
        switch started.status {
        case 200...299: break
        case 412 where options.createOnly: return .alreadyExists
        default: throw GCSErrorResponse(started).storageError(bucket: bucket, key: key)
        }
        guard let session = started.header("Location") else {
            throw StorageError(.failed, "Google Cloud Storage started no upload session for gs://\(bucket)/\(key)")
        }
        do {
            return try await sendChunks(key, session: session, total: total, options: options, read: read)
        } catch {
            // Google drops abandoned sessions after a week; cancelling frees them at once.
            _ = try? await transport.send(
                HTTPRequest(method: "DELETE", url: session, headers: try await authorization()),
                timeout: .seconds(10), maxResponseBytes: 1 << 16)
            throw error
        }
    }

    private func sendChunks(
        _ key: String, session: String, total: Int, options: PutOptions,
        read: @Sendable (Int, Int) async throws -> [UInt8]
    ) async throws -> PutOutcome {
        var offset = 0
        var probe = false
        var machine = RetryStateMachine(
            policy: configuration.retry, subject: "Google Cloud Storage for gs://\(bucket)/\(key)", start: .now)
        while true {
            var request = HTTPRequest(method: "PUT", url: session, headers: try await authorization())
            if probe {
                request.headers.append((name: "Content-Range", value: "bytes */\(total)"))
            } else {
                let length = min(configuration.chunkSize, total - offset)
                let range = length == 0 ? "bytes */\(total)" : "bytes \(offset)-\(offset + length - 1)/\(total)"
                request.headers.append((name: "Content-Range", value: range))
                request.body = try await read(offset, length)
            }
            let outcome: RetryStateMachine.Outcome
            do {
                let response = try await transport.send(
                    request, timeout: configuration.requestTimeout, maxResponseBytes: Self.maxBody)
                switch response.status {
                case 200, 201:
                    return .created
                case 308:
                    // "Resume Incomplete": Range says what Google holds; none means nothing yet.
                    offset = Self.committedBytes(response.header("Range"))
                    probe = false
                    continue
                case 412 where options.createOnly:
                    return .alreadyExists
                default:
                    outcome = .response(classify(response, key: key))
                }
            } catch let error as HTTPTransportError {
                outcome = .transportFailure(error)
            }
            switch machine.record(outcome, at: .now, jitter: Double.random(in: 0...1)) {
            case .accept:
                throw StorageError(.failed, "Google Cloud Storage refused a piece of gs://\(bucket)/\(key)")
            case .fail(let error):
                throw error
            case .retry(let pause):
                try await Task.sleep(for: pause)
                // Ask the session how much it kept before sending more.
                probe = true
            }
        }
    }

    /// `bytes=0-N` → N + 1, the offset of the next byte to send.
    static func committedBytes(_ range: String?) -> Int {
        guard let range, let dash = range.lastIndex(of: "-"), let last = Int(range[range.index(after: dash)...]) else {
            return 0
        }
        return last + 1
    }

    // MARK: - Requests

    private func resource(_ key: String) async throws -> GCSObjectResource? {
        let response = try await send("GET", configuration.objectURL(key), key: key)
        switch response.status {
        case 200:
            guard let resource = GCSObjectResource(response.body) else {
                throw StorageError(.failed, "Google Cloud Storage sent an unreadable description of gs://\(bucket)/\(key)")
            }
            return resource
        case 404:
            return nil
        default:
            throw GCSErrorResponse(response).storageError(bucket: bucket, key: key)
        }
    }

    private func authorization() async throws -> [(name: String, value: String)] {
        guard let token = try await credentials.token() else { return [] }
        return [(name: "Authorization", value: "Bearer \(token.value)")]
    }

    /// Sends one request, retrying what is worth retrying; returns the final response (which
    /// may be an error status for the caller to interpret).
    private func send(
        _ method: String, _ url: String, key: String, headers: [(name: String, value: String)] = [],
        body: [UInt8] = [], streamedBody: StreamedBody? = nil
    ) async throws -> HTTPResponse {
        try await executor.send("Google Cloud Storage for gs://\(bucket)/\(key)", maxResponseBytes: Self.maxBody) { _ in
            var request = HTTPRequest(method: method, url: url, headers: try await authorization() + headers, body: body)
            request.streamedBody = streamedBody
            return request
        } classify: { response, _ in
            classify(response, key: key)
        }
    }

    private var executor: RequestExecutor {
        RequestExecutor(transport: transport, retry: configuration.retry, attemptTimeout: configuration.requestTimeout)
    }

    /// Google's wire knowledge for the executor: 408, 429 and 5xx are retried; every other answer
    /// is the caller's to read.
    private func classify(_ response: HTTPResponse, key: String) -> ResponseDecision {
        guard GCSErrorResponse.isRetryable(status: response.status) else { return .accept }
        return .retry(GCSErrorResponse(response).storageError(bucket: bucket, key: key), after: RetryAfter.parse(response))
    }

    /// A 404 on the bucket's own resources means the bucket is missing.
    private func bucketError(_ response: HTTPResponse, key: String) -> StorageError {
        if response.status == 404 { return StorageError(.notFound, "Bucket \(bucket) does not exist") }
        return GCSErrorResponse(response).storageError(bucket: bucket, key: key)
    }
}
