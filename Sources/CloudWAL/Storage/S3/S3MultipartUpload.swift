import Crypto

/// S3's multipart protocol: create, upload parts (concurrently), complete; abort on failure so
/// no parts linger and keep costing storage.
extension S3Store {
    public func beginUpload(_ key: String, partSize: Int, options: PutOptions) async throws -> any ObjectUpload {
        guard partSize >= 5 << 20 else {
            throw StorageError(.invalidRequest, "S3 parts must be at least 5 MiB (asked for \(partSize) bytes)")
        }
        return try await S3MultipartUpload(store: self, key: key, options: options)
    }

    /// A body too large for one PUT, sent as consecutive parts of `configuration.partSize`.
    func putMultipart(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome {
        let upload = try await S3MultipartUpload(store: self, key: key, options: options)
        do {
            var offset = 0
            var number = 0
            while offset < body.count {
                let end = min(offset + configuration.partSize, body.count)
                number += 1
                try await upload.uploadPart(number, bytes: Array(body[offset..<end]))
                offset = end
            }
            return try await upload.complete(partCount: number)
        } catch {
            await upload.abort()
            throw error
        }
    }
}

extension S3Store {
    /// A file too large for one PUT, sent as consecutive parts of `configuration.partSize` read
    /// from disk in order, so memory holds one part whatever the file's size. With `bodySHA256`
    /// the parts must hash to it together, or the upload is aborted instead of completed: a file
    /// that changed since the caller hashed it is never stored.
    func putMultipart(_ key: String, path: String, size: Int, options: PutOptions) async throws -> PutOutcome {
        let partSize = configuration.partSize
        let upload = try await S3MultipartUpload(store: self, key: key, options: options)
        do {
            let reader = try FileChunks(path: path, expectedSize: size)
            var digest = SHA256()
            var part: [UInt8] = []
            part.reserveCapacity(partSize)
            var number = 0
            var finished = false
            while !finished {
                if let chunk = try reader.next() {
                    digest.update(data: chunk)
                    part += chunk
                } else {
                    finished = true
                }
                while part.count >= partSize || (finished && !part.isEmpty) {
                    let bytes = Array(part.prefix(partSize))
                    part.removeFirst(bytes.count)
                    number += 1
                    try await upload.uploadPart(number, bytes: bytes)
                }
            }
            if let expected = options.bodySHA256, digest.finalize().hexString != expected.lowercased() {
                throw StorageError(.failed, "\(path) changed while being archived: its SHA-256 no longer matches")
            }
            return try await upload.complete(partCount: number)
        } catch {
            await upload.abort()
            throw error
        }
    }
}

actor S3MultipartUpload: ObjectUpload {
    private let store: S3Store
    private let key: String
    private let options: PutOptions
    private let uploadID: String
    private var etags: [Int: String] = [:]

    init(store: S3Store, key: String, options: PutOptions) async throws {
        let created = try await store.send("POST", key: key, query: [("uploads", "")], headers: store.writeHeaders(options))
        guard created.status == 200, let uploadID = S3XML(created.body).value("UploadId") else {
            throw S3ErrorResponse(created).storageError(bucket: store.bucket, key: key)
        }
        self.store = store
        self.key = key
        self.options = options
        self.uploadID = uploadID
    }

    func uploadPart(_ number: Int, bytes: [UInt8]) async throws {
        // The signature commits to the part's SHA-256 (x-amz-content-sha256), which S3 checks
        // against the bytes it receives: a part damaged on the way is refused. A per-part
        // x-amz-checksum header would need the algorithm declared at creation, which some
        // S3-compatible stores reject.
        let response = try await store.send(
            "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: bytes,
            payloadHash: SHA256.hash(data: bytes).hexString)
        guard response.status == 200, let etag = response.header("ETag") else {
            throw S3ErrorResponse(response).storageError(bucket: store.bucket, key: key)
        }
        etags[number] = etag
    }

    func complete(partCount: Int) async throws -> PutOutcome {
        var parts = ""
        for number in 1...max(1, partCount) {
            guard let etag = etags[number] else {
                throw StorageError(.failed, "part \(number) of \(key) was never uploaded")
            }
            parts += "<Part><PartNumber>\(number)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>"
        }
        let manifest = "<CompleteMultipartUpload>\(parts)</CompleteMultipartUpload>"
        var headers: [(name: String, value: String)] = []
        if options.createOnly { headers.append((name: "If-None-Match", value: "*")) }
        let completed = try await store.send(
            "POST", key: key, query: [("uploadId", uploadID)], headers: headers, body: Array(manifest.utf8))
        if completed.status == 412 && options.createOnly {
            await abort()
            return .alreadyExists
        }
        // S3 can answer 200 with an error document when completion fails late.
        guard completed.status == 200, S3XML(completed.body).elements("Error").isEmpty else {
            throw S3ErrorResponse(completed).storageError(bucket: store.bucket, key: key)
        }
        return .created
    }

    func abort() async {
        _ = try? await store.send("DELETE", key: key, query: [("uploadId", uploadID)])
    }
}
