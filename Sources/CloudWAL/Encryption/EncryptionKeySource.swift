/// Which key protects an object, as its header says: a named keyring key, or an AWS KMS
/// envelope (the KMS key id and the data key it wrapped).
public enum EncryptionKeySource: Sendable, Equatable {
    case keyring(name: String)
    case kms(keyID: String, wrappedKey: [UInt8])

    /// The header's one-byte code for the source.
    var code: UInt8 {
        switch self {
        case .keyring: 1
        case .kms: 2
        }
    }

    /// How an error message names the key an object needs.
    public var displayName: String {
        switch self {
        case .keyring(let name): "keyring key '\(name)'"
        case .kms(let keyID, _): "KMS key '\(keyID)'"
        }
    }
}
