import Crypto

/// A keyring object's own key: HKDF-SHA256 of the keyring key, with the header's random salt and
/// `info` = "cloud-wal v1" followed by the object's logical identity. Every object gets a key
/// nobody else uses, which is what lets the nonce be a plain chunk counter.
public enum ObjectKeyDerivation {
    public static func objectKey(from keyringKey: SymmetricKey, salt: [UInt8], identity: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: keyringKey, salt: salt, info: EncryptionFormat.keyDerivationLabel + Array(identity.utf8),
            outputByteCount: 32)
    }
}
