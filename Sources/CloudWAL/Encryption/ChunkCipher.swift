import Crypto

// For the `Data` that swift-crypto's AES-GCM returns; only its bytes are read.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// AES-256-GCM over one chunk, with the format's nonce and associated data. Shared by the
/// encryptor and the decryptor so both derive nonce and associated data the same way.
struct ChunkCipher: Sendable {
    let key: SymmetricKey
    /// SHA-256 of the header's bytes followed by the logical identity: a swapped header, a chunk
    /// spliced in from another object, or an object under another name fails its tag.
    let associatedData: [UInt8]

    init(key: SymmetricKey, headerBytes: [UInt8], identity: String) {
        self.key = key
        self.associatedData = Array(SHA256.hash(data: headerBytes)) + Array(identity.utf8)
    }

    /// Appends the ciphertext and tag of `plain`, chunk `index`, to `out`.
    func seal(_ plain: UnsafeRawBufferPointer, index: UInt64, final: Bool, into out: inout [UInt8]) throws {
        let nonce = try AES.GCM.Nonce(data: EncryptionFormat.nonce(chunk: index, final: final))
        let box = try AES.GCM.seal(plain, using: key, nonce: nonce, authenticating: associatedData)
        box.ciphertext.withUnsafeBytes { out.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
        box.tag.withUnsafeBytes { out.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
    }

    /// The plaintext of one record (ciphertext then tag), handed to `body` while it is valid.
    func open<R>(
        _ record: UnsafeRawBufferPointer, index: UInt64, final: Bool, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        let split = record.count - EncryptionFormat.tagSize
        guard split >= 0 else { throw EncryptionError(.corrupt, "chunk \(index) is truncated") }
        let plain: Data
        do {
            let nonce = try AES.GCM.Nonce(data: EncryptionFormat.nonce(chunk: index, final: final))
            let box = try AES.GCM.SealedBox(
                nonce: nonce, ciphertext: UnsafeRawBufferPointer(rebasing: record[..<split]),
                tag: UnsafeRawBufferPointer(rebasing: record[split...]))
            plain = try AES.GCM.open(box, using: key, authenticating: associatedData)
        } catch {
            throw EncryptionError(
                .corrupt,
                "chunk \(index) fails authentication (tampered, truncated, reordered, renamed, or not under this key)")
        }
        return try plain.withUnsafeBytes(body)
    }
}
