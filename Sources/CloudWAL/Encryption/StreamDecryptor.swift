/// Decrypts an object's chunks as they arrive, once its header is known (`DecryptingStream`
/// reads the header and finds the key). Plain bytes reach `sink` chunk by chunk, each only after
/// its tag verified; the content trailer comes from `finish`, which also refuses an object cut
/// short. Memory holds at most one record and the bytes deciding whether it is the last.
public struct StreamDecryptor: Sendable {
    private let cipher: ChunkCipher
    private let chunkSize: Int
    /// A full record: `chunkSize` ciphertext bytes and the tag.
    private let recordSize: Int
    /// The longest last record: `chunkSize - 1` data bytes, the trailer and the tag. While more
    /// than this is buffered, the first record cannot be the last one.
    private let maxFinalRecordSize: Int
    private var buffer: [UInt8] = []
    private var index: UInt64 = 0
    private var plainBytes = 0

    public init(header: EncryptionHeader, headerBytes: [UInt8], objectKey: ObjectKey, identity: String) {
        self.cipher = ChunkCipher(key: objectKey.key, headerBytes: headerBytes, identity: identity)
        self.chunkSize = header.chunkSize
        self.recordSize = header.chunkSize + EncryptionFormat.tagSize
        self.maxFinalRecordSize = header.chunkSize - 1 + EncryptionFormat.trailerSize + EncryptionFormat.tagSize
    }

    public mutating func update(_ stored: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var rest = stored[...]
        while true {
            if buffer.isEmpty {
                // Straight from the caller's bytes while whole records are there.
                while rest.count > maxFinalRecordSize {
                    try openNext(UnsafeRawBufferPointer(rebasing: rest.prefix(recordSize)), sink: sink)
                    rest = rest.dropFirst(recordSize)
                }
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest))
                return
            }
            if buffer.count + rest.count <= maxFinalRecordSize {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest))
                return
            }
            // More follows than a last record can hold: the buffered record is a full one.
            let missing = Swift.max(0, recordSize - buffer.count)
            if buffer.capacity < maxFinalRecordSize + 1 { buffer.reserveCapacity(maxFinalRecordSize + 1) }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest.prefix(missing)))
            rest = rest.dropFirst(missing)
            let (cipher, index, recordSize) = (self.cipher, self.index, self.recordSize)
            try buffer.withUnsafeBytes {
                try cipher.open(UnsafeRawBufferPointer(rebasing: $0[..<recordSize]), index: index, final: false, sink)
            }
            self.index += 1
            plainBytes += chunkSize
            buffer.removeFirst(recordSize)
        }
    }

    public mutating func update(_ stored: [UInt8], sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try stored.withUnsafeBytes { try update($0, sink: sink) }
    }

    /// Opens the last record, hands its data to `sink` and returns the trailer, once the bytes
    /// The trailer describes the content before compression: the caller compares it with the
    /// bytes it ends up with (for an uncompressed object, `plaintextSize` and their digest).
    /// Throws `.corrupt` for an object that ends early.
    public mutating func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws -> ContentTrailer {
        guard buffer.count >= EncryptionFormat.trailerSize + EncryptionFormat.tagSize else {
            throw EncryptionError(.corrupt, "the encrypted stream is truncated (it ends without its final chunk)")
        }
        let dataCount = buffer.count - EncryptionFormat.tagSize - EncryptionFormat.trailerSize
        let (cipher, index) = (self.cipher, self.index)
        let trailer = try buffer.withUnsafeBytes { bytes in
            try cipher.open(bytes, index: index, final: true) { plain -> ContentTrailer in
                try sink(UnsafeRawBufferPointer(rebasing: plain[..<dataCount]))
                return try ContentTrailer.decode(UnsafeRawBufferPointer(rebasing: plain[dataCount...]))
            }
        }
        buffer = []
        self.index += 1
        plainBytes += dataCount
        return trailer
    }

    private mutating func openNext(_ record: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try cipher.open(record, index: index, final: false, sink)
        index += 1
        plainBytes += chunkSize
    }

    /// Plain bytes handed on so far: the stream's plaintext size once `finish` returned.
    public var plaintextSize: Int { plainBytes }
}
