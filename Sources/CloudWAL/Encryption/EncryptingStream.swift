/// An object encrypted as it is produced, with a key from `keys`: `start` writes the header,
/// `update` the full chunks, `finish` the last chunk with the content trailer.
public enum EncryptingStream {
    public static func start(
        identity: String, keys: any ObjectKeyProvider, into out: inout [UInt8]
    ) async throws -> StreamEncryptor {
        let (header, key) = try await keys.keyForWriting(identity: identity)
        return StreamEncryptor(header: header, objectKey: key, identity: identity, into: &out)
    }
}
