/// A store that hashes a file while it stores it, so an uncompressed segment is read once.
///
/// Only a store that writes the digest after the body can do this: local disk, where the
/// metadata is a sibling file written before the object appears. A cloud request must carry the
/// digest in its signed head before the first byte of the body, so S3, GCS and Azure hash first
/// and send second (`ObjectStore.putFile` with `PutOptions.bodySHA256`).
public protocol SinglePassFileStore: ObjectStore {
    /// `putFile`, hashing the very bytes it stores. `metadata` gets their SHA-256 and returns the
    /// entries to store beside `options.metadata`; the object appears only after both are durable.
    func putFile(
        _ key: String, path: String, size: Int, options: PutOptions,
        metadata: (_ sha256: String) -> [String: String]
    ) async throws -> (outcome: PutOutcome, sha256: String)
}
