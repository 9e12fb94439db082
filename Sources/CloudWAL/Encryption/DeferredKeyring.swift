/// A keyring read at once but whose failure to load is reported only when an object needs it.
/// For `restore`, whose keyring is mainly handed on to PostgreSQL's restore_command and may
/// belong to PostgreSQL's account rather than ours: restoring a plain backup must not fail
/// because we cannot read it, restoring an encrypted one says why it cannot.
public struct DeferredKeyring: ObjectKeyProvider {
    private let loaded: Result<Keyring, any Error>

    public init(path: String) {
        loaded = Result { try KeyringFile.load(path) }
    }

    public func keyForWriting(identity: String) async throws -> (header: EncryptionHeader, key: ObjectKey) {
        try await loaded.get().keyForWriting(identity: identity)
    }

    public func keyForReading(_ header: EncryptionHeader, identity: String) async throws -> ObjectKey {
        try await loaded.get().keyForReading(header, identity: identity)
    }
}
