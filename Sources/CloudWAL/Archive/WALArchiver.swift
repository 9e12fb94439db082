import Logging

/// Pushes one WAL file into the archive: what `archive_command` runs.
///
/// The file is read once; each chunk is hashed and compressed as it passes. Nothing archived is
/// ever replaced: the store is asked to create only, and an existing object (under any
/// compression) is compared by content. Same content is success, as PostgreSQL retries a segment
/// whose earlier archiving crashed after the upload; different content fails and leaves the
/// archived copy alone.
public struct WALArchiver: Sendable {
    public struct Configuration: Sendable {
        public var compression: Compression?
        public var compressionLevel: CompressionLevel
        public var tags: [ObjectTag]
        /// Replace `tags` on `.history` files when not empty (barman-cloud's `--history-tag`).
        public var historyTags: [ObjectTag]
        /// Client-side encryption (`--encryption-keyring`): objects are stored as `<name>.cwenc`,
        /// compressed first, with no content digest, size or system identifier in their metadata.
        /// The keys also read existing encrypted objects for the duplicate check.
        public var encryption: (any ObjectKeyProvider)?

        public init(
            compression: Compression? = nil, compressionLevel: CompressionLevel = .medium,
            tags: [ObjectTag] = [], historyTags: [ObjectTag] = [], encryption: (any ObjectKeyProvider)? = nil
        ) {
            self.compression = compression
            self.compressionLevel = compressionLevel
            self.tags = tags
            self.historyTags = historyTags
            self.encryption = encryption
        }
    }

    public enum Outcome: Sendable, Equatable {
        /// A new object was stored.
        case archived(key: String, size: Int, storedSize: Int)
        /// The same content was already archived under `key`.
        case alreadyArchived(key: String)
    }

    public let store: any ObjectStore
    public let layout: ArchiveLayout
    public let configuration: Configuration
    private let logger: Logger
    private static let readChunkSize = 1 << 20

    public init(store: any ObjectStore, layout: ArchiveLayout, configuration: Configuration, logger: Logger) {
        self.store = store
        self.layout = layout
        self.configuration = configuration
        self.logger = logger
    }

    /// What one archiving stored, with the digest of the uncompressed content it judged: the
    /// look-ahead archiver records this digest, so it must be that of the bytes actually stored
    /// (or proven equal to the stored copy), never a second read of the file.
    public struct Archived: Sendable, Equatable {
        public var outcome: Outcome
        public var sha256: String
        public var size: Int
        /// The object holding the content, new or already there.
        public var key: String {
            switch outcome {
            case .archived(let key, _, _), .alreadyArchived(let key): key
            }
        }
    }

    /// Archives the file at `walPath` (absolute or relative, as `%p` gives it).
    public func archive(walPath: String) async throws -> Outcome {
        try await archiveReportingContent(walPath: walPath).outcome
    }

    /// `archive(walPath:)`, also reporting the SHA-256 and size of the content that is now durable.
    public func archiveReportingContent(walPath: String) async throws -> Archived {
        let fileName = FileSystemOps.baseName(of: walPath)
        guard let wal = WALFileName(fileName) else {
            throw WALError(.invalidInput, "\(walPath) is an invalid name for a WAL file")
        }
        if configuration.compression == nil, configuration.encryption == nil,
            let local = store as? any SinglePassFileStore
        {
            return try await archiveInOnePass(walPath, wal: wal, into: local)
        }
        let encrypted = configuration.encryption != nil
        let content = try await readAndEncode(walPath, wal: wal)
        let key = layout.key(for: wal, compression: configuration.compression, encrypted: encrypted)

        func reported(_ outcome: Outcome) -> Archived {
            Archived(outcome: outcome, sha256: content.sha256, size: content.size)
        }
        if let existing = try await findExisting(wal) {
            return reported(try await settleDuplicate(existing: existing, content: content, wal: wal))
        }
        var metadata = Self.metadata(size: content.size, systemIdentifier: content.systemIdentifier)
        metadata[ObjectMetadataKey.sha256] = content.sha256
        // Uncompressed, the body is the content: its digest doubles as the upload's payload hash.
        // Encrypted, nothing derived from the content is stored in the clear: the digest and size
        // travel inside the stream.
        let options = PutOptions(
            metadata: encrypted ? [:] : metadata, tags: tags(for: wal), createOnly: true,
            bodySHA256: configuration.compression == nil && !encrypted ? content.sha256 : nil)
        let outcome: PutOutcome
        do {
            if let body = content.body {
                outcome = try await store.put(key, body: body, options: options)
            } else {
                // Uncompressed: the store reads the file as it sends it; the digest in `options`
                // makes it refuse bytes that changed since they were hashed.
                outcome = try await store.putFile(key, path: walPath, size: content.size, options: options)
            }
        } catch let error as StorageError {
            throw WALError(error)
        }
        switch outcome {
        case .created:
            let storedSize = content.body?.count ?? content.size
            logger.info("Archived \(wal.name) as \(key) (\(content.size) bytes, \(storedSize) stored)")
            return reported(.archived(key: key, size: content.size, storedSize: storedSize))
        case .alreadyExists:
            // Another archiver won a race between our check and our write: judge its object by content.
            return reported(try await settleDuplicate(
                existing: (key, configuration.compression), content: content, wal: wal))
        }
    }

    /// Uncompressed onto local disk: the header is judged from the first page, and the store
    /// hashes the bytes as it copies them, so the segment is read once instead of twice (once to
    /// hash, once to copy). Only a duplicate, which is rare, costs a full read to compare.
    private func archiveInOnePass(
        _ walPath: String, wal: WALFileName, into local: any SinglePassFileStore
    ) async throws -> Archived {
        let header = try readHeader(walPath, wal: wal)
        if let existing = try await findExisting(wal) {
            let content = try await readAndEncode(walPath, wal: wal)
            let outcome = try await settleDuplicate(existing: existing, content: content, wal: wal)
            return Archived(outcome: outcome, sha256: content.sha256, size: content.size)
        }
        let key = layout.key(for: wal, compression: nil)
        let options = PutOptions(
            metadata: Self.metadata(size: header.size, systemIdentifier: header.systemIdentifier),
            tags: tags(for: wal), createOnly: true)
        let stored: (outcome: PutOutcome, sha256: String)
        do {
            stored = try await local.putFile(key, path: walPath, size: header.size, options: options) { sha256 in
                [ObjectMetadataKey.sha256: sha256]
            }
        } catch let error as StorageError {
            throw WALError(error)
        }
        let content = EncodedContent(
            body: nil, sha256: stored.sha256, size: header.size, systemIdentifier: header.systemIdentifier)
        switch stored.outcome {
        case .created:
            logger.info("Archived \(wal.name) as \(key) (\(header.size) bytes, \(header.size) stored)")
            return Archived(
                outcome: .archived(key: key, size: header.size, storedSize: header.size), sha256: stored.sha256,
                size: header.size)
        case .alreadyExists:
            // Another archiver won a race between our check and our write: judge its object by content.
            let outcome = try await settleDuplicate(existing: (key, nil), content: content, wal: wal)
            return Archived(outcome: outcome, sha256: stored.sha256, size: header.size)
        }
    }

    // MARK: - Internals

    /// Size and digest-independent metadata: the content's size and the writing cluster.
    private static func metadata(size: Int, systemIdentifier: UInt64?) -> [String: String] {
        var metadata = [ObjectMetadataKey.size: String(size)]
        if let systemIdentifier {
            metadata[ObjectMetadataKey.systemIdentifier] = String(systemIdentifier)
        }
        return metadata
    }

    private func tags(for wal: WALFileName) -> [ObjectTag] {
        wal.kind == .history && !configuration.historyTags.isEmpty ? configuration.historyTags : configuration.tags
    }

    /// The file's size (checked for a segment) and its first page's verdict, without reading the rest.
    private func readHeader(_ path: String, wal: WALFileName) throws -> (size: Int, systemIdentifier: UInt64?) {
        do {
            let handle = try FileHandle.openForReading(path)
            defer { try? handle.close() }
            let size = try checkedSize(handle, path: path, wal: wal)
            var first = [UInt8](repeating: 0, count: Swift.min(WALPageHeader.size, size))
            let count = try first.withUnsafeMutableBytes { try handle.readFully(into: $0) }
            let verdict = try judgeHeader(first.prefix(count), path: path, wal: wal, size: size)
            return (size, verdict.systemIdentifier)
        } catch let error as SystemError {
            throw WALError(.sourceUnreadable, "\(path): \(error.reason)")
        }
    }

    /// The file's size; a segment (or partial) must be a power of two from 1 MiB to 1 GiB.
    private func checkedSize(_ handle: FileHandle, path: String, wal: WALFileName) throws -> Int {
        let size = try handle.size()
        if wal.kind == .segment || wal.kind == .partial, !WALSegmentSize.isValid(size) {
            throw WALError(
                .sourceUnreadable, "\(path) is \(size) bytes: a WAL segment is a power of two from 1 MiB to 1 GiB")
        }
        return size
    }

    private struct EncodedContent {
        /// The compressed (or encrypted) bytes; nil when neither, where the file itself is the body.
        var body: [UInt8]?
        var sha256: String
        var size: Int
        /// The writing cluster, from the segment's first page header (nil for text files).
        var systemIdentifier: UInt64?
    }

    /// Reads the file once, hashing (and, with a compression, compressing) each chunk as it is
    /// read. Uncompressed, only the digest is kept: the upload reads the file again from the page
    /// cache rather than holding a whole segment in memory. A segment's first page header is
    /// judged from the first chunk, before anything is compressed or sent. With encryption the
    /// (compressed) bytes are encrypted as they come, into the body, and the digest and size go
    /// into the stream's last chunk.
    private func readAndEncode(_ path: String, wal: WALFileName) async throws -> EncodedContent {
        var sealed: [UInt8] = []
        var encryptor: StreamEncryptor?
        if let keys = configuration.encryption {
            encryptor = try await EncryptingStream.start(
                identity: LogicalIdentity.wal(server: layout.serverName, walName: wal.name), keys: keys, into: &sealed)
        }
        do {
            let handle = try FileHandle.openForReading(path)
            let size = try checkedSize(handle, path: path, wal: wal)
            var digest = ContentDigest()
            var verdict: WALHeaderCheck.Verdict?
            var compressed: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: Swift.min(Self.readChunkSize, Swift.max(size, 1)))
            let compressor = try configuration.compression?.makeCompressor(level: configuration.compressionLevel)
            if encryptor != nil {
                sealed.reserveCapacity(StreamEncryptor.encryptedSize(
                    plaintextSize: compressor == nil ? size : size / 2, headerSize: sealed.count))
            } else if compressor != nil {
                compressed.reserveCapacity(size / 2)
            }
            /// Compressed (or plain) bytes on their way into the encrypted body.
            func seal(_ bytes: UnsafeRawBufferPointer) throws {
                try encryptor?.update(bytes, into: &sealed)
            }
            while true {
                let count = try buffer.withUnsafeMutableBytes { try handle.readFully(into: $0) }
                if count == 0 { break }
                if verdict == nil {
                    verdict = try judgeHeader(buffer.prefix(count), path: path, wal: wal, size: size)
                }
                try buffer.withUnsafeBytes { raw in
                    let chunk = UnsafeRawBufferPointer(rebasing: raw[..<count])
                    digest.update(chunk)
                    if encryptor == nil {
                        try compressor?.compress(chunk, into: &compressed)
                    } else if let compressor {
                        compressed.removeAll(keepingCapacity: true)
                        try compressor.compress(chunk, into: &compressed)
                        try compressed.withUnsafeBytes { try seal($0) }
                    } else {
                        try seal(chunk)
                    }
                }
            }
            if encryptor == nil {
                try compressor?.finish(into: &compressed)
            } else if let compressor {
                compressed.removeAll(keepingCapacity: true)
                try compressor.finish(into: &compressed)
                try compressed.withUnsafeBytes { try seal($0) }
            }
            try handle.close()
            // The file must not change while PostgreSQL waits on us; a size change means it did.
            guard digest.byteCount == size else {
                throw WALError(.sourceUnreadable, "\(path) changed size while being read (\(size) → \(digest.byteCount))")
            }
            // An empty file never reached the check above; judge it too (a segment is refused).
            let systemIdentifier = try (verdict ?? judgeHeader([], path: path, wal: wal, size: size)).systemIdentifier
            let sha256 = digest.finalize()
            var body = compressor == nil ? nil : compressed
            if var sealing = encryptor {
                guard let trailer = ContentTrailer(sha256Hex: sha256, size: size) else {
                    throw WALError(.sourceUnreadable, "\(path): cannot record its digest \(sha256)")
                }
                encryptor = nil
                try sealing.finish(trailer: trailer, into: &sealed)
                body = sealed
            }
            return EncodedContent(body: body, sha256: sha256, size: size, systemIdentifier: systemIdentifier)
        } catch let error as SystemError {
            throw WALError(.sourceUnreadable, "\(path): \(error.reason)")
        } catch let error as CompressionError {
            throw WALError(.sourceUnreadable, "\(path): compression failed: \(error.message)")
        }
    }

    /// Refuses a segment whose first page is not that segment's; warns on an unknown magic.
    private func judgeHeader(
        _ firstBytes: ArraySlice<UInt8>, path: String, wal: WALFileName, size: Int
    ) throws -> WALHeaderCheck.Verdict {
        let verdict = WALHeaderCheck.check(firstBytes: firstBytes, name: wal, fileSize: size)
        switch verdict {
        case .mismatch(let reason):
            throw WALError(.corrupt, "Refusing to archive \(path): \(reason)")
        case .unknownMagic(let magic, _):
            let note = "\(wal.name) has WAL page magic 0x\(WALHeaderCheck.hex(magic)), which no PostgreSQL major "
                + "known to this cloud-wal writes; archiving it, as the rest of its header matches its name"
            logger.warning("\(note)")
        case .consistent, .notApplicable:
            break
        }
        return verdict
    }

    /// The first stored form of `wal` (any compression), if one exists.
    private func findExisting(_ wal: WALFileName) async throws -> (key: String, compression: Compression?)? {
        let listing: ObjectListing
        do {
            listing = try await store.list(prefix: layout.searchPrefix(for: wal), delimiter: "/")
        } catch let error as StorageError {
            throw WALError(error)
        }
        for object in listing.objects {
            if let parsed = ArchiveLayout.parseObjectName(object.key), parsed.wal.name == wal.name {
                return (object.key, parsed.compression)
            }
        }
        return nil
    }

    private func settleDuplicate(
        existing: (key: String, compression: Compression?), content: EncodedContent, wal: WALFileName
    ) async throws -> Outcome {
        let reader = WALObjectReader(
            store: store,
            decryption: configuration.encryption.map { WALDecryption(keys: $0, serverName: layout.serverName) })
        let stored = try await reader.read(
            existing.key, compression: existing.compression, expectSegment: false, sink: { _ in })
        guard stored.sha256 == content.sha256 else {
            throw WALError(
                .conflict,
                "\(wal.name) is already archived as \(existing.key) with different content "
                    + "(archived SHA-256 \(stored.sha256), local \(content.sha256)); the archived copy is kept")
        }
        logger.warning("\(wal.name) is already archived as \(existing.key) with the same content; nothing to do")
        return .alreadyArchived(key: existing.key)
    }
}
