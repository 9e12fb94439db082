/// Encrypts an object's bytes as they stream past: the header first, then AES-256-GCM chunks of
/// `chunkSize` plaintext bytes, then a final chunk with the rest (possibly empty) and the content
/// trailer. Full chunks are sealed straight from the caller's buffer; only a chunk split across
/// two calls is gathered in `pending`.
public struct StreamEncryptor: Sendable {
    public let header: EncryptionHeader
    private let cipher: ChunkCipher
    private var pending: [UInt8] = []
    private var index: UInt64 = 0
    private var finished = false

    /// Appends the header's bytes to `out`; chunks follow from `update` and `finish`.
    public init(header: EncryptionHeader, objectKey: ObjectKey, identity: String, into out: inout [UInt8]) {
        let headerBytes = header.encoded()
        self.header = header
        self.cipher = ChunkCipher(key: objectKey.key, headerBytes: headerBytes, identity: identity)
        out += headerBytes
    }

    /// The stored size of `plaintextSize` bytes under a header of `headerSize` bytes, for reserving.
    public static func encryptedSize(plaintextSize: Int, headerSize: Int, chunkSize: Int = EncryptionFormat.chunkSize) -> Int {
        let full = plaintextSize / chunkSize
        let rest = plaintextSize % chunkSize
        return headerSize + full * (chunkSize + EncryptionFormat.tagSize)
            + rest + EncryptionFormat.trailerSize + EncryptionFormat.tagSize
    }

    public mutating func update(_ plain: UnsafeRawBufferPointer, into out: inout [UInt8]) throws {
        let chunkSize = header.chunkSize
        var rest = plain[...]
        if !pending.isEmpty {
            let take = Swift.min(chunkSize - pending.count, rest.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest.prefix(take)))
            rest = rest.dropFirst(take)
            guard pending.count == chunkSize else { return }
            try pending.withUnsafeBytes { try sealNext($0, final: false, into: &out) }
            pending.removeAll(keepingCapacity: true)
        }
        while rest.count >= chunkSize {
            try sealNext(UnsafeRawBufferPointer(rebasing: rest.prefix(chunkSize)), final: false, into: &out)
            rest = rest.dropFirst(chunkSize)
        }
        if !rest.isEmpty {
            if pending.capacity < chunkSize { pending.reserveCapacity(chunkSize + EncryptionFormat.trailerSize) }
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest))
        }
    }

    public mutating func update(_ plain: [UInt8], into out: inout [UInt8]) throws {
        try plain.withUnsafeBytes { try update($0, into: &out) }
    }

    /// Seals the final chunk: the bytes not yet sealed, then `trailer`.
    public mutating func finish(trailer: ContentTrailer, into out: inout [UInt8]) throws {
        precondition(!finished, "StreamEncryptor.finish called twice")
        finished = true
        pending += trailer.encoded()
        try pending.withUnsafeBytes { try sealNext($0, final: true, into: &out) }
        pending = []
    }

    private mutating func sealNext(_ plain: UnsafeRawBufferPointer, final: Bool, into out: inout [UInt8]) throws {
        try cipher.seal(plain, index: index, final: final, into: &out)
        index += 1
    }
}
