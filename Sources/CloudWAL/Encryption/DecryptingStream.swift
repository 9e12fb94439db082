/// An encrypted object read as it arrives: gathers the header, asks `keys` for the object's key
/// (no keys at all: the error names the key the object needs), then decrypts chunk by chunk.
public struct DecryptingStream: Sendable {
    private enum State: Sendable {
        case header([UInt8])
        case body(StreamDecryptor)
    }

    public let identity: String
    private let keys: (any ObjectKeyProvider)?
    private var state: State = .header([])
    /// The header, once read: which key the object is under.
    public private(set) var header: EncryptionHeader?

    public init(identity: String, keys: (any ObjectKeyProvider)?) {
        self.identity = identity
        self.keys = keys
    }

    /// Feeds the next stored bytes; plain bytes go to `sink` as chunks verify.
    public mutating func update(_ stored: [UInt8], sink: (UnsafeRawBufferPointer) throws -> Void) async throws {
        switch state {
        case .body(var decryptor):
            // Moved out of `state` while it works, so its buffer is never copied on write.
            state = .header([])
            try stored.withUnsafeBytes { try decryptor.update($0, sink: sink) }
            state = .body(decryptor)
        case .header(let earlier):
            let gathered = earlier + stored
            guard let parsed = try EncryptionHeader.parse(gathered[...]) else {
                state = .header(gathered)
                return
            }
            let (header, length) = parsed
            self.header = header
            guard let keys else {
                throw EncryptionError(
                    .keyUnavailable,
                    "it is encrypted with \(header.source.displayName): pass --encryption-keyring with a keyring holding it")
            }
            let key = try await keys.keyForReading(header, identity: identity)
            var decryptor = StreamDecryptor(
                header: header, headerBytes: Array(gathered[..<length]), objectKey: key, identity: identity)
            try gathered.withUnsafeBytes {
                try decryptor.update(UnsafeRawBufferPointer(rebasing: $0[length...]), sink: sink)
            }
            state = .body(decryptor)
        }
    }

    /// The content trailer, after the last chunk's data went to `sink`.
    public mutating func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws -> ContentTrailer {
        guard case .body(var decryptor) = state else {
            throw EncryptionError(.corrupt, "the encrypted stream is truncated (it ends inside its header)")
        }
        state = .header([])
        return try decryptor.finish(sink: sink)
    }

    /// Plain bytes handed on so far.
    public var plaintextSize: Int {
        if case .body(let decryptor) = state { return decryptor.plaintextSize }
        return 0
    }
}
