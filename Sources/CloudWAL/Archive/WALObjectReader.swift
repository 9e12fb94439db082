/// Streams a stored WAL object back to its plain bytes and proves them intact.
///
/// Shared by restore (which writes the bytes to `%p`) and by duplicate detection (which only needs
/// the digest), so both trust exactly the same checks: the codec's own framing and checksums, the
/// SHA-256 recorded at archive time when there is one, and the segment size rule.
struct WALObjectReader: Sendable {
    let store: any ObjectStore
    /// The keys for encrypted objects (`.cwenc`). Without them such an object is still
    /// recognised, and refused with an error naming the key it needs.
    var decryption: WALDecryption? = nil

    struct Result: Sendable {
        let sha256: String
        let size: Int
        /// Whether a recorded SHA-256 was there to compare with (objects written by barman-cloud have none;
        /// an encrypted object carries its own inside the stream).
        let verified: Bool
        /// The first plain bytes (up to a WAL page header's worth), for `WALHeaderCheck`.
        let firstBytes: [UInt8]
        /// The user metadata stored with the object.
        let metadata: [String: String]
    }

    /// Reads `key`, decompressing by its extension, handing each plain chunk to `sink`.
    func read(
        _ key: String, compression: Compression?, expectSegment: Bool,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) async throws -> Result {
        let download: ObjectDownload
        do {
            download = try await store.get(key)
        } catch let error as StorageError {
            throw WALError(error)
        }
        var digest = ContentDigest()
        var plain: [UInt8] = []
        var firstBytes: [UInt8] = []
        func pass(_ bytes: UnsafeRawBufferPointer) throws {
            if firstBytes.count < WALPageHeader.size {
                firstBytes += bytes.prefix(WALPageHeader.size - firstBytes.count)
            }
            digest.update(bytes)
            try sink(bytes)
        }
        let decompressor: (any StreamingDecompressor)?
        do {
            decompressor = try compression?.makeDecompressor()
        } catch let error as CompressionError {
            // A codec that cannot start (out of memory) is a local failure, never an unclassified escape.
            throw WALError(.destinationFailed, "Cannot start decompressing \(key): \(error.message)")
        }
        /// Stored (decrypted) bytes, decompressed when the name says so.
        func decode(_ bytes: UnsafeRawBufferPointer) throws {
            if let decompressor {
                plain.removeAll(keepingCapacity: true)
                try decompressor.decompress(bytes, into: &plain)
                try plain.withUnsafeBytes { try pass($0) }
            } else {
                try pass(bytes)
            }
        }
        // Encrypted: what the stream's last chunk says about the content (none in the metadata).
        var trailer: ContentTrailer?
        do {
            if EncryptedObjectName.isEncrypted(key) {
                var stream = DecryptingStream(identity: identity(of: key), keys: decryption?.keys)
                for try await chunk in download.chunks {
                    try await stream.update(chunk, sink: decode)
                }
                trailer = try stream.finish(sink: decode)
            } else {
                for try await chunk in download.chunks {
                    try chunk.withUnsafeBytes { try decode($0) }
                }
            }
            try decompressor?.finish()
        } catch let error as CompressionError {
            throw WALError(.corrupt, "\(key) is corrupt: \(error.message)")
        } catch let error as StorageError {
            throw WALError(error)
        } catch let error as EncryptionError {
            throw EncryptionError(error.kind, error.kind == .corrupt ? "\(key) is corrupt: \(error.message)" : "\(key): \(error.message)")
        }
        let sha256 = digest.finalize()
        let recorded = trailer?.sha256Hex ?? download.info.metadata[ObjectMetadataKey.sha256]
        if let recorded, recorded != sha256 {
            throw WALError(.corrupt, "\(key) is corrupt: SHA-256 \(sha256) differs from the recorded \(recorded)")
        }
        if let recordedSize = trailer?.size ?? download.info.metadata[ObjectMetadataKey.size].flatMap(Int.init),
            recordedSize != digest.byteCount
        {
            throw WALError(
                .corrupt, "\(key) is corrupt: \(digest.byteCount) bytes instead of the recorded \(recordedSize)")
        }
        if expectSegment, !WALSegmentSize.isValid(digest.byteCount) {
            throw WALError(.corrupt, "\(key) is corrupt: \(digest.byteCount) bytes is not a WAL segment size")
        }
        return Result(
            sha256: sha256, size: digest.byteCount, verified: recorded != nil, firstBytes: firstBytes,
            metadata: download.info.metadata)
    }

    /// The logical identity an encrypted object's chunks authenticate: its server and the WAL
    /// name its key spells (without `.cwenc` and the compression's extension).
    private func identity(of key: String) -> String {
        let name = ArchiveLayout.parseObjectName(key)?.wal.name ?? FileSystemOps.baseName(of: key)
        return LogicalIdentity.wal(server: decryption?.serverName ?? "", walName: name)
    }
}

/// What reading encrypted WAL needs: the keys, and the server whose objects they are (part of
/// each object's logical identity).
public struct WALDecryption: Sendable {
    public let keys: any ObjectKeyProvider
    public let serverName: String

    public init(keys: any ObjectKeyProvider, serverName: String) {
        self.keys = keys
        self.serverName = serverName
    }
}

/// PostgreSQL's segment sizes: a power of two from 1 MiB to 1 GiB (`initdb --wal-segsize`).
public enum WALSegmentSize {
    public static func isValid(_ size: Int) -> Bool {
        size >= 1 << 20 && size <= 1 << 30 && size & (size - 1) == 0
    }
}
