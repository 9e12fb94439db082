/// Streams one stored part of a base backup back to its tar bytes: decrypted when it is
/// encrypted (`.cwenc`), then through the codec its extension names, fed through
/// `BoundedDecompression` so memory stays bounded whatever the expansion. Restore's extraction
/// and verify both read parts here, so both trust exactly the same checks.
///
/// Memory: one download chunk, one encryption record (64 KiB) and one decompression slice's
/// output; never the whole part.
struct BackupPartReader: Sendable {
    let store: any ObjectStore
    let layout: ArchiveLayout
    /// The keys for encrypted parts. Without them an encrypted part is refused, naming its key.
    var keys: (any ObjectKeyProvider)? = nil

    /// Hands the part's plain bytes to `sink` (and each stored chunk's size to `fetched`, for
    /// progress); returns the stored bytes fetched. Codec, tar and decryption failures come back
    /// as "corrupt" naming the part, a missing key as `EncryptionError(.keyUnavailable)`; storage
    /// errors and whatever `sink` throws as they are.
    func read(
        _ part: BackupTarFiles.Part, fetched: (Int) -> Void = { _ in },
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) async throws -> Int {
        let download = try await store.get(part.key)
        var decompression: BoundedDecompression?
        do {
            decompression = try part.compression.map { BoundedDecompression(try $0.makeDecompressor()) }
        } catch let error as CompressionError {
            throw BackupError(.localIO, "Cannot start decompressing \(part.key): \(error.message)")
        }
        var stored = 0
        // Only for an encrypted part, whose trailer records the tar bytes' SHA-256 and size.
        var digest: ContentDigest? = part.isEncrypted ? ContentDigest() : nil
        func plain(_ bytes: UnsafeRawBufferPointer) throws {
            digest?.update(bytes)
            try sink(bytes)
        }
        func decode(_ bytes: UnsafeRawBufferPointer) throws {
            if decompression != nil {
                try decompression?.feed(bytes, plain)
            } else {
                try plain(bytes)
            }
        }
        do {
            if part.isEncrypted {
                var stream = DecryptingStream(identity: layout.backupObjectIdentity(key: part.key), keys: keys)
                for try await chunk in download.chunks {
                    stored += chunk.count
                    fetched(chunk.count)
                    try await stream.update(chunk, sink: decode)
                }
                let trailer = try stream.finish(sink: decode)
                try decompression?.decompressor.finish()
                let sha256 = digest?.finalize() ?? ""
                guard trailer.size == digest?.byteCount, trailer.sha256Hex == sha256 else {
                    throw BackupError(
                        .corrupt, "\(part.key) is corrupt: its tar bytes differ from the SHA-256 and size it recorded")
                }
            } else {
                for try await chunk in download.chunks {
                    stored += chunk.count
                    fetched(chunk.count)
                    try chunk.withUnsafeBytes(decode)
                }
                try decompression?.decompressor.finish()
            }
        } catch let error as CompressionError {
            throw BackupError(.corrupt, "\(part.key) is corrupt: \(error.message)")
        } catch let error as TarError {
            throw BackupError(.corrupt, "\(part.key) is not a valid tar: \(error.message)")
        } catch let error as EncryptionError {
            throw Self.named(error, key: part.key)
        }
        return stored
    }

    /// An encryption failure naming the object: "corrupt" for bytes that fail a check, the key
    /// it needs otherwise. One line, never key material (the errors hold none).
    static func named(_ error: EncryptionError, key: String) -> EncryptionError {
        EncryptionError(error.kind, error.kind == .corrupt ? "\(key) is corrupt: \(error.message)" : "\(key): \(error.message)")
    }
}
