import CloudWAL

/// Sealing and opening whole objects in memory, the way the archive path streams them: pieces
/// of arbitrary sizes, the trailer checked against the plaintext as a reader must.
enum Sealing {
    static let identity = LogicalIdentity.wal(server: "pg1", walName: "000000010000000000000001")

    static func keyring(_ names: [String] = ["k1"], seed: UInt8 = 0) throws -> Keyring {
        try Keyring(
            keys: names.enumerated().map { index, name in
                try Keyring.Key(name: name, bytes: (0..<32).map { UInt8(truncatingIfNeeded: Int($0) + Int(seed) + 64 * index) })
            },
            origin: "test")
    }

    /// Encrypts `plain` with a fixed header (salt and chunk size given), fed `piece` bytes at a time.
    static func seal(
        _ plain: [UInt8], keyring: Keyring, salt: [UInt8] = Array(32..<64), chunkSize: Int = EncryptionFormat.chunkSize,
        identity: String = identity, piece: Int = 100_000
    ) throws -> [UInt8] {
        let header = try EncryptionHeader(source: .keyring(name: keyring.encryptingKey.name), salt: salt, chunkSize: chunkSize)
        let key = try keyring.objectKey(for: header, identity: identity)
        var out: [UInt8] = []
        var encryptor = StreamEncryptor(header: header, objectKey: key, identity: identity, into: &out)
        var offset = 0
        while offset < plain.count {
            let end = min(offset + piece, plain.count)
            try encryptor.update(Array(plain[offset..<end]), into: &out)
            offset = end
        }
        try encryptor.finish(trailer: trailer(of: plain), into: &out)
        return out
    }

    /// Decrypts `stored`, fed `piece` bytes at a time, and checks the trailer like the WAL reader.
    static func open(
        _ stored: [UInt8], keyring: Keyring?, identity: String = identity, piece: Int = 77_777
    ) async throws -> [UInt8] {
        var stream = DecryptingStream(identity: identity, keys: keyring)
        var plain: [UInt8] = []
        var offset = 0
        while offset < stored.count {
            let end = min(offset + piece, stored.count)
            try await stream.update(Array(stored[offset..<end])) { plain.append(contentsOf: $0) }
            offset = end
        }
        let trailer = try stream.finish { plain.append(contentsOf: $0) }
        guard trailer == Self.trailer(of: plain) else {
            throw EncryptionError(.corrupt, "trailer mismatch")
        }
        return plain
    }

    static func trailer(of plain: [UInt8]) -> ContentTrailer {
        var digest = ContentDigest()
        digest.update(plain)
        return ContentTrailer(sha256: hex(digest.finalize()), size: plain.count)
    }

    /// The kind of error opening throws, or nil when it succeeds.
    static func failure(
        _ stored: [UInt8], keyring: Keyring?, identity: String = identity
    ) async -> EncryptionError? {
        do {
            _ = try await open(stored, keyring: keyring, identity: identity)
            return nil
        } catch let error as EncryptionError {
            return error
        } catch {
            return EncryptionError(.localIO, "unexpected \(error)")
        }
    }

    static func hex(_ text: String) -> [UInt8] {
        Base64.bytes(fromHex: text) ?? []
    }
}
