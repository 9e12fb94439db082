/// A small backup object held whole in memory (the manifest), encrypted or decrypted in one go
/// with the format the tars use, its SHA-256 and size in the trailer.
public enum SealedBackupFile {
    public static func seal(_ plain: [UInt8], identity: String, keys: any ObjectKeyProvider) async throws -> [UInt8] {
        var sealed: [UInt8] = []
        sealed.reserveCapacity(plain.count + 512)
        var encryptor = try await EncryptingStream.start(identity: identity, keys: keys, into: &sealed)
        try encryptor.update(plain, into: &sealed)
        var digest = ContentDigest()
        digest.update(plain)
        guard let trailer = ContentTrailer(sha256Hex: digest.finalize(), size: plain.count) else {
            throw EncryptionError(.corrupt, "cannot record the content of \(identity)")
        }
        try encryptor.finish(trailer: trailer, into: &sealed)
        return sealed
    }

    /// The plain bytes of `stored`, each chunk authenticated and the trailer compared with them.
    /// Without keys the error names the key the object needs.
    static func open(
        _ stored: [UInt8], key: String, identity: String, keys: (any ObjectKeyProvider)?
    ) async throws -> [UInt8] {
        var plain: [UInt8] = []
        var stream = DecryptingStream(identity: identity, keys: keys)
        do {
            try await stream.update(stored) { plain.append(contentsOf: $0) }
            let trailer = try stream.finish { plain.append(contentsOf: $0) }
            var digest = ContentDigest()
            digest.update(plain)
            guard trailer.size == plain.count, trailer.sha256Hex == digest.finalize() else {
                throw EncryptionError(.corrupt, "its content differs from the SHA-256 and size it recorded")
            }
        } catch let error as EncryptionError {
            throw BackupPartReader.named(error, key: key)
        }
        return plain
    }
}
