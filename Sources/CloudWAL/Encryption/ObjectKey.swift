import Crypto

/// The 256-bit key of one object (derived from a keyring key, or a KMS data key). Its bytes never
/// leave it: no description shows them.
public struct ObjectKey: Sendable, CustomStringConvertible {
    let key: SymmetricKey

    init(_ key: SymmetricKey) {
        self.key = key
    }

    /// From raw bytes (a KMS data key, a test vector); exactly 32 of them.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw EncryptionError(.corrupt, "an object key is 32 bytes, not \(bytes.count)")
        }
        self.key = SymmetricKey(data: bytes)
    }

    public var description: String { "ObjectKey(256 bits)" }
}
