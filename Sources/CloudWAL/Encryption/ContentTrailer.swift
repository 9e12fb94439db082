/// What the last chunk of an encrypted object carries after its data, authenticated with it: the
/// SHA-256 and size of the object's content before compression. Kept inside the stream so that
/// nothing derived from the plaintext is readable in the store (object metadata stays empty).
public struct ContentTrailer: Sendable, Equatable {
    public let sha256: [UInt8]
    public let size: Int

    public init(sha256: [UInt8], size: Int) {
        self.sha256 = sha256
        self.size = size
    }

    /// From a lower-case hex digest, as `ContentDigest` gives it.
    public init?(sha256Hex: String, size: Int) {
        guard let bytes = Base64.bytes(fromHex: sha256Hex), bytes.count == 32, size >= 0 else { return nil }
        self.init(sha256: bytes, size: size)
    }

    public var sha256Hex: String { sha256.hexString }

    /// SHA-256 (32 bytes) then the size (8 bytes, big endian).
    func encoded() -> [UInt8] {
        var out = sha256
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(size) >> UInt64(shift))) }
        return out
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> ContentTrailer {
        guard bytes.count == EncryptionFormat.trailerSize else {
            throw EncryptionError(.corrupt, "the content trailer is \(bytes.count) bytes")
        }
        let size = bytes[32...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard size <= UInt64(Int.max) else { throw EncryptionError(.corrupt, "the content trailer's size is out of range") }
        return ContentTrailer(sha256: Array(bytes[..<32]), size: Int(size))
    }
}
