/// The header that starts every encrypted object (docs/encryption-format.md):
///
///     magic (8) | version (1) = 1 | key source (1) | source fields | salt (32) | chunk size (4, BE)
///
/// Source fields: keyring (1) = name length (1, 1...64) and name; KMS (2) = key id length (2, BE,
/// 1...2048), key id, wrapped key length (2, BE, 1...4096), wrapped key. Every length is explicit
/// and bounded, so a reader knows after at most `maxSize` bytes whether the header is whole.
public struct EncryptionHeader: Sendable, Equatable {
    public var source: EncryptionKeySource
    public var salt: [UInt8]
    public var chunkSize: Int

    /// The longest header version 1 allows.
    public static let maxSize = 8 + 1 + 1 + 2 + EncryptionFormat.maxKMSKeyIDLength + 2
        + EncryptionFormat.maxWrappedKeyLength + EncryptionFormat.saltSize + 4

    public init(source: EncryptionKeySource, salt: [UInt8], chunkSize: Int = EncryptionFormat.chunkSize) throws {
        guard salt.count == EncryptionFormat.saltSize else {
            throw EncryptionError(.corrupt, "an encryption salt is \(EncryptionFormat.saltSize) bytes, not \(salt.count)")
        }
        guard EncryptionFormat.chunkSizeRange.contains(chunkSize) else {
            throw EncryptionError(.corrupt, "encryption chunk size \(chunkSize) is out of range")
        }
        try Self.validate(source)
        self.source = source
        self.salt = salt
        self.chunkSize = chunkSize
    }

    /// The header's bytes, exactly as stored (and hashed into every chunk's associated data).
    public func encoded() -> [UInt8] {
        var out = EncryptionFormat.magic
        out.append(EncryptionFormat.version)
        out.append(source.code)
        switch source {
        case .keyring(let name):
            out.append(UInt8(name.utf8.count))
            out += name.utf8
        case .kms(let keyID, let wrappedKey):
            Self.appendUInt16(keyID.utf8.count, to: &out)
            out += keyID.utf8
            Self.appendUInt16(wrappedKey.count, to: &out)
            out += wrappedKey
        }
        out += salt
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: chunkSize >> shift)) }
        return out
    }

    /// Parses a header from the start of `bytes`: the header and its length, or nil when
    /// `bytes` ends before the header does. Throws as soon as the bytes cannot be a header.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws -> (header: EncryptionHeader, length: Int)? {
        var reader = Reader(bytes: bytes)
        let magic = reader.take(EncryptionFormat.magic.count) ?? bytes
        guard EncryptionFormat.magic.starts(with: magic) else {
            throw EncryptionError(.corrupt, "not an encrypted object (bad magic)")
        }
        guard magic.count == EncryptionFormat.magic.count else { return nil }
        guard let version = reader.byte() else { return nil }
        guard version == EncryptionFormat.version else {
            throw EncryptionError(.unsupported, "unsupported encryption format version \(version)")
        }
        guard let sourceCode = reader.byte() else { return nil }
        let source: EncryptionKeySource
        switch sourceCode {
        case 1:
            guard let length = reader.byte() else { return nil }
            guard let name = reader.take(Int(length)) else { return nil }
            source = .keyring(name: String(decoding: name, as: UTF8.self))
        case 2:
            guard let idLength = reader.uint16() else { return nil }
            guard idLength <= EncryptionFormat.maxKMSKeyIDLength else {
                throw EncryptionError(.corrupt, "encryption header: KMS key id of \(idLength) bytes")
            }
            guard let keyID = reader.take(idLength), let wrappedLength = reader.uint16() else { return nil }
            guard wrappedLength <= EncryptionFormat.maxWrappedKeyLength else {
                throw EncryptionError(.corrupt, "encryption header: wrapped key of \(wrappedLength) bytes")
            }
            guard let wrapped = reader.take(wrappedLength) else { return nil }
            source = .kms(keyID: String(decoding: keyID, as: UTF8.self), wrappedKey: Array(wrapped))
        default:
            throw EncryptionError(.unsupported, "unsupported encryption key source \(sourceCode)")
        }
        guard let salt = reader.take(EncryptionFormat.saltSize), let size = reader.take(4) else { return nil }
        let chunkSize = size.reduce(0) { $0 << 8 | Int($1) }
        do {
            let header = try EncryptionHeader(source: source, salt: Array(salt), chunkSize: chunkSize)
            return (header, reader.offset)
        } catch let error as EncryptionError {
            throw EncryptionError(.corrupt, "encryption header: \(error.message)")
        }
    }

    // MARK: - Internals

    /// Names go into error messages and logs: printable ASCII only, within the bounds.
    static func validate(_ source: EncryptionKeySource) throws {
        switch source {
        case .keyring(let name):
            guard KeyName.isValid(name) else { throw EncryptionError(.corrupt, "invalid keyring key name") }
        case .kms(let keyID, let wrappedKey):
            guard (1...EncryptionFormat.maxKMSKeyIDLength).contains(keyID.utf8.count),
                keyID.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
            else { throw EncryptionError(.corrupt, "invalid KMS key id") }
            guard (1...EncryptionFormat.maxWrappedKeyLength).contains(wrappedKey.count) else {
                throw EncryptionError(.corrupt, "invalid wrapped data key length \(wrappedKey.count)")
            }
        }
    }

    private static func appendUInt16(_ value: Int, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value))
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var offset = 0

        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            let start = bytes.startIndex + offset
            guard bytes.endIndex - start >= count else { return nil }
            offset += count
            return bytes[start..<start + count]
        }

        mutating func byte() -> UInt8? { take(1)?.first }

        mutating func uint16() -> Int? { take(2).map { Int($0.first ?? 0) << 8 | Int($0.last ?? 0) } }
    }
}
