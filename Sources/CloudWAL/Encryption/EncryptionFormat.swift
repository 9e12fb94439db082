/// The constants of the encrypted object format, version 1 (docs/encryption-format.md).
public enum EncryptionFormat {
    /// `CWENC` then CR LF and SUB: a text transfer that mangles line ends breaks the magic, and
    /// `file`/`head` show at a glance what the object is.
    public static let magic: [UInt8] = [0x43, 0x57, 0x45, 0x4E, 0x43, 0x0D, 0x0A, 0x1A]
    public static let version: UInt8 = 1
    /// Plaintext bytes per chunk written by this version.
    public static let chunkSize = 64 * 1024
    /// The chunk sizes a reader accepts: bounded, so a header cannot make it buffer without limit.
    public static let chunkSizeRange = 4096...(1 << 20)
    public static let saltSize = 32
    public static let tagSize = 16
    public static let nonceSize = 12
    /// SHA-256 (32) and big-endian size (8) of the content, at the end of the last chunk's plaintext.
    public static let trailerSize = 40
    /// `info` prefix of the HKDF that derives a keyring object's key.
    public static let keyDerivationLabel = Array("cloud-wal v1".utf8)
    /// Limits of the header's variable fields.
    public static let maxKeyNameLength = 64
    public static let maxKMSKeyIDLength = 2048
    public static let maxWrappedKeyLength = 4096

    /// The 12-byte nonce of chunk `index`: the counter (8 bytes, big endian), three zero bytes
    /// and the final flag. Every object has its own key, so a counter never repeats under a key.
    @inline(__always)
    static func nonce(chunk index: UInt64, final: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: nonceSize)
        for shift in 0..<8 { bytes[shift] = UInt8(truncatingIfNeeded: index >> (56 - 8 * UInt64(shift))) }
        bytes[11] = final ? 1 : 0
        return bytes
    }
}
