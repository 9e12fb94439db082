/// Where object keys come from: a keyring (derived per object), or later an AWS KMS envelope (a
/// data key per object). Writing gets a fresh header and key; reading finds the key a header names.
public protocol ObjectKeyProvider: Sendable {
    func keyForWriting(identity: String) async throws -> (header: EncryptionHeader, key: ObjectKey)
    /// Throws `.keyUnavailable`, naming the key, when the header asks for one this provider lacks.
    func keyForReading(_ header: EncryptionHeader, identity: String) async throws -> ObjectKey
}

extension Keyring: ObjectKeyProvider {
    public func keyForWriting(identity: String) async throws -> (header: EncryptionHeader, key: ObjectKey) {
        let salt = RandomBytes.make(EncryptionFormat.saltSize)
        let header = try EncryptionHeader(source: .keyring(name: encryptingKey.name), salt: salt)
        return (header, ObjectKey(ObjectKeyDerivation.objectKey(from: encryptingKey.material, salt: salt, identity: identity)))
    }

    public func keyForReading(_ header: EncryptionHeader, identity: String) async throws -> ObjectKey {
        try objectKey(for: header, identity: identity)
    }

    /// `keyForReading` without the suspension: a keyring needs no network.
    public func objectKey(for header: EncryptionHeader, identity: String) throws -> ObjectKey {
        guard case .keyring(let name) = header.source else {
            throw EncryptionError(
                .keyUnavailable, "it is encrypted with \(header.source.displayName), and only a keyring was given")
        }
        guard let key = key(named: name) else {
            throw EncryptionError(
                .keyUnavailable, "it needs \(header.source.displayName), which the keyring \(origin) does not hold")
        }
        return ObjectKey(ObjectKeyDerivation.objectKey(from: key.material, salt: header.salt, identity: identity))
    }
}
