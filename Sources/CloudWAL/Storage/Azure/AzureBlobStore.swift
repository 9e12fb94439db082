import Crypto
import Glibc

/// Azure Blob Storage over the REST API (block blobs only).
///
/// Writes that must not replace anything carry `If-None-Match: *`; every body carries
/// `Content-MD5`, which the service checks, so bytes damaged or changed on the way are refused.
/// Requests are retried with backoff on server errors, throttling and dropped connections, and
/// each failure is explained in one line without any secret.
public struct AzureBlobStore: ObjectStore {
    public let configuration: AzureConfiguration
    private let transport: any HTTPTransport
    private let authorization: AzureAuthorization
    /// Unix seconds, injectable so signed requests are reproducible in tests.
    private let now: @Sendable () -> Int

    public init(
        configuration: AzureConfiguration, transport: any HTTPTransport, authorization: AzureAuthorization,
        now: @escaping @Sendable () -> Int = { Int(time(nil)) }
    ) {
        self.configuration = configuration
        self.transport = transport
        self.authorization = authorization
        self.now = now
    }

    private var container: String { configuration.container }
    private static let maxBody = 1 << 24

    // MARK: - ObjectStore

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome {
        if body.count > configuration.maxSinglePutSize {
            return try await putBlocks(key, body: body, options: options)
        }
        return try await putBlob(key, options: options, md5: Array(Insecure.MD5.hash(data: body)), body: body, streamed: nil)
    }

    /// Streams the file: one pass computes the MD5 (and checks the caller's SHA-256), the upload
    /// reads it again from the page cache. A file that changes in between fails the service's
    /// MD5 check, so what is stored is always what was hashed.
    /// Above `maxSinglePutSize` the file goes up as blocks read from it in order (`putBlocks(path:)`).
    public func putFile(_ key: String, path: String, size: Int, options: PutOptions) async throws -> PutOutcome {
        guard size <= configuration.maxSinglePutSize else {
            return try await putBlocks(key, path: path, size: size, options: options)
        }
        var md5 = Insecure.MD5()
        var sha256 = SHA256()
        let reader = try FileChunks(path: path, expectedSize: size)
        while let chunk = try reader.next() {
            md5.update(data: chunk)
            if options.bodySHA256 != nil { sha256.update(data: chunk) }
        }
        if let expected = options.bodySHA256, sha256.finalize().hexString != expected.lowercased() {
            throw StorageError(.failed, "\(path) changed while it was being archived")
        }
        let streamed = StreamedBody(length: size) { FileChunks.stream(path, expectedSize: size) }
        return try await putBlob(key, options: options, md5: Array(md5.finalize()), body: [], streamed: streamed)
    }

    private func putBlob(
        _ key: String, options: PutOptions, md5: [UInt8], body: [UInt8], streamed: StreamedBody?
    ) async throws -> PutOutcome {
        var headers = writeHeaders(options)
        headers.append((name: "x-ms-blob-type", value: "BlockBlob"))
        headers.append((name: "Content-MD5", value: Base64.encode(md5)))
        if options.createOnly { headers.append((name: "If-None-Match", value: "*")) }
        let response = try await send("PUT", blob: key, headers: headers, body: body, streamedBody: streamed)
        return try writeOutcome(response, key: key, options: options)
    }

    public func get(_ key: String) async throws -> ObjectDownload {
        let first = try await open(key)
        guard first.status < 300 else { throw error(try await first.collected(), key) }
        let size = first.header("Content-Length").flatMap(Int.init) ?? 0
        let info = ObjectInfo(key: key, size: size, metadata: AzureMetadataNames.metadata(from: first.headers))
        // Bytes flow from the socket to the decompressor; a connection cut in mid-body is resumed
        // from where it stopped, from the same blob version only.
        let validator = first.header("ETag")
        let chunks = ResumingBody.stream(first: first, policy: configuration.retry, location: configuration.location(key)) {
            offset in
            var headers = [(name: "x-ms-range", value: "bytes=\(offset)-")]
            if let validator { headers.append((name: "If-Match", value: validator)) }
            return try await open(key, headers: headers)
        }
        return ObjectDownload(info: info, chunks: chunks)
    }

    private func open(_ key: String, headers: [(name: String, value: String)] = []) async throws -> HTTPStreamingResponse {
        try await executor.stream("Azure for \(configuration.location(key))") { _ in
            try await authorizedRequest("GET", blob: key, headers: headers)
        } classify: { response, _ in
            classify(response, key)
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let response = try await send("HEAD", blob: key)
        switch response.status {
        case 200:
            let size = response.header("Content-Length").flatMap(Int.init) ?? 0
            return ObjectInfo(key: key, size: size, metadata: AzureMetadataNames.metadata(from: response.headers))
        case 404 where AzureErrorResponse(response).code != "ContainerNotFound":
            return nil
        default:
            throw error(response, key)
        }
    }

    public func list(prefix: String, delimiter: String?) async throws -> ObjectListing {
        var listing = ObjectListing()
        var marker: String?
        repeat {
            var query = [("restype", "container"), ("comp", "list"), ("prefix", prefix)]
            if let delimiter { query.append(("delimiter", delimiter)) }
            if let pageSize = configuration.listPageSize { query.append(("maxresults", String(pageSize))) }
            if let marker { query.append(("marker", marker)) }
            let response = try await send("GET", blob: "", query: query)
            guard response.status == 200 else { throw error(response, prefix) }
            let xml = S3XML(response.body)
            for blob in xml.elements("Blob") {
                guard let name = blob.value("Name") else { continue }
                let size = blob.elements("Properties").first?.value("Content-Length").flatMap(Int.init) ?? 0
                listing.objects.append(ObjectInfo(key: name, size: size))
            }
            for blobPrefix in xml.elements("BlobPrefix") {
                if let name = blobPrefix.value("Name") { listing.commonPrefixes.append(name) }
            }
            marker = xml.value("NextMarker").flatMap { $0.isEmpty ? nil : $0 }
        } while marker != nil
        return listing
    }

    public func delete(_ key: String) async throws {
        let response = try await send("DELETE", blob: key)
        guard (200...299).contains(response.status)
            || (response.status == 404 && AzureErrorResponse(response).code == "BlobNotFound")
        else { throw error(response, key) }
    }

    public func checkBucket() async throws -> BucketStatus {
        let response = try await send("HEAD", blob: "", query: [("restype", "container")])
        switch response.status {
        case 200: return .available
        case 404: return .missing
        default: throw error(response, "")
        }
    }

    // MARK: - Blocks

    /// Put Block for each `maxBlockSize` slice, up to `maxConcurrency` at once, then one Put Block
    /// List, which is the step that creates the blob (and carries `If-None-Match`). Uncommitted
    /// blocks of a failed upload are discarded by the service after a week.
    private func putBlocks(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome {
        let blockSize = configuration.maxBlockSize
        let count = (body.count + blockSize - 1) / blockSize
        let ids = (0..<count).map(Self.blockID)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                // At most maxConcurrency blocks in flight: wait for one before starting another.
                if index >= configuration.maxConcurrency { try await group.next() }
                let slice = Array(body[index * blockSize..<min(body.count, (index + 1) * blockSize)])
                let id = ids[index]
                group.addTask { try await putBlock(key, id: id, body: slice) }
            }
            try await group.waitForAll()
        }
        return try await commitBlocks(key, ids: ids, options: options)
    }

    /// The file as `maxBlockSize` blocks read in order, up to `maxConcurrency` in flight, so memory
    /// holds at most `maxConcurrency + 1` blocks whatever the file's size. Each block carries its
    /// MD5, which the service checks; with `bodySHA256` the blocks must hash to it together before
    /// the block list commits them, so a file that changed since it was hashed is never stored.
    private func putBlocks(_ key: String, path: String, size: Int, options: PutOptions) async throws -> PutOutcome {
        let blockSize = configuration.maxBlockSize
        let reader = try FileChunks(path: path, expectedSize: size)
        var sha256 = SHA256()
        var ids: [String] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending: [UInt8] = []
            var finished = false
            while !finished {
                if let chunk = try reader.next() {
                    sha256.update(data: chunk)
                    pending += chunk
                } else {
                    finished = true
                }
                while pending.count >= blockSize || (finished && !pending.isEmpty) {
                    let block = Array(pending.prefix(blockSize))
                    pending.removeFirst(block.count)
                    // At most maxConcurrency blocks in flight: wait for one before starting another.
                    if ids.count >= configuration.maxConcurrency { try await group.next() }
                    let id = Self.blockID(ids.count)
                    ids.append(id)
                    group.addTask { try await putBlock(key, id: id, body: block) }
                }
            }
            try await group.waitForAll()
        }
        if let expected = options.bodySHA256, sha256.finalize().hexString != expected.lowercased() {
            throw StorageError(.failed, "\(path) changed while it was being archived")
        }
        return try await commitBlocks(key, ids: ids, options: options)
    }

    /// Put Block List: the step that creates the blob from uploaded blocks (and carries `If-None-Match`).
    func commitBlocks(_ key: String, ids: [String], options: PutOptions) async throws -> PutOutcome {
        let manifest = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>"
            + ids.map { "<Latest>\($0)</Latest>" }.joined() + "</BlockList>"
        let manifestBytes = Array(manifest.utf8)
        var headers = writeHeaders(options)
        headers.append((name: "Content-MD5", value: Base64.encode(Array(Insecure.MD5.hash(data: manifestBytes)))))
        if options.createOnly { headers.append((name: "If-None-Match", value: "*")) }
        let response = try await send(
            "PUT", blob: key, query: [("comp", "blocklist")], headers: headers, body: manifestBytes)
        return try writeOutcome(response, key: key, options: options)
    }

    func putBlock(_ key: String, id: String, body: [UInt8]) async throws {
        var headers = [(name: "Content-MD5", value: Base64.encode(Array(Insecure.MD5.hash(data: body))))]
        if let scope = configuration.encryptionScope { headers.append((name: "x-ms-encryption-scope", value: scope)) }
        let response = try await send(
            "PUT", blob: key, query: [("comp", "block"), ("blockid", id)], headers: headers, body: body)
        guard (200...299).contains(response.status) else { throw error(response, key) }
    }

    /// Block IDs must all have the same length before encoding: a fixed-width counter.
    public static func blockID(_ index: Int) -> String {
        let digits = String(index)
        return Base64.encode(Array(("cloudwal-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits).utf8))
    }

    // MARK: - Requests

    private func writeOutcome(_ response: HTTPResponse, key: String, options: PutOptions) throws -> PutOutcome {
        switch response.status {
        case 200...299: return .created
        case 409 where options.createOnly && AzureErrorResponse(response).code == "BlobAlreadyExists":
            return .alreadyExists
        case 412 where options.createOnly: return .alreadyExists
        default: throw error(response, key)
        }
    }

    /// Metadata, index tags and encryption scope: what every blob-creating write carries.
    private func writeHeaders(_ options: PutOptions) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = options.metadata.sorted { $0.key < $1.key }.map {
            (name: "x-ms-meta-\(AzureMetadataNames.azureName($0.key))", value: $0.value)
        }
        if !options.tags.isEmpty {
            headers.append((name: "x-ms-tags", value: AzureText.formEncoded(options.tags.map { ($0.key, $0.value) })))
        }
        if let scope = configuration.encryptionScope { headers.append((name: "x-ms-encryption-scope", value: scope)) }
        return headers
    }

    /// Authorizes and sends one request, retrying what is worth retrying; returns the final
    /// response (possibly an error status for the caller to interpret).
    private func send(
        _ method: String, blob: String, query: [(String, String)] = [], headers: [(name: String, value: String)] = [],
        body: [UInt8] = [], streamedBody: StreamedBody? = nil
    ) async throws -> HTTPResponse {
        try await executor.send("Azure for \(configuration.location(blob))", maxResponseBytes: Self.maxBody) { _ in
            var request = try await authorizedRequest(
                method, blob: blob, query: query, headers: headers, body: body, streamedBody: streamedBody)
            request.streamedBody = streamedBody
            return request
        } classify: { response, _ in
            classify(response, blob)
        }
    }

    private var executor: RequestExecutor {
        RequestExecutor(transport: transport, retry: configuration.retry, attemptTimeout: configuration.requestTimeout)
    }

    /// Azure's wire knowledge for the executor: `ServerBusy`, 408, 429 and 5xx are retried (after
    /// `Retry-After` when the service gives one); every other answer is the caller's to read.
    private func classify(_ response: HTTPResponse, _ key: String) -> ResponseDecision {
        guard response.status >= 300 else { return .accept }
        let answer = AzureErrorResponse(response)
        return answer.isRetryable ? .retry(error(response, key), after: RetryAfter.parse(response)) : .accept
    }

    /// The request with `x-ms-version`, `x-ms-date` and the authorization, made afresh for every
    /// attempt so a retry is not refused for a stale date.
    func authorizedRequest(
        _ method: String, blob: String, query: [(String, String)] = [], headers: [(name: String, value: String)] = [],
        body: [UInt8] = [], streamedBody: StreamedBody? = nil
    ) async throws -> HTTPRequest {
        var url = configuration.url(blob: blob, query: query)
        if case .sas(let token) = authorization {
            url += (query.isEmpty ? "?" : "&") + token
        }
        var request = HTTPRequest(method: method, url: url, headers: headers, body: body)
        request.headers.append((name: "x-ms-version", value: AzureConfiguration.apiVersion))
        request.headers.append((name: "x-ms-date", value: AzureText.httpDate(now())))
        switch authorization {
        case .sharedKey(let signer):
            signer.sign(&request, contentLength: streamedBody?.length ?? body.count)
        case .sas:
            break
        case .bearer(let provider):
            let token = try await provider.token()
            request.headers.append((name: "Authorization", value: "Bearer \(token.token)"))
        }
        return request
    }

    private func error(_ response: HTTPResponse, _ key: String) -> StorageError {
        AzureErrorResponse(response).storageError(container: container, location: configuration.location(key))
    }
}
