import CloudWAL
import Testing

/// The encrypted object format: known answers (computed by the independent Python
/// implementation, scripts/cwenc.py) and round trips at every size that matters.
@Suite struct EncryptionFormatTests {
    /// `scripts/cwenc.py vector`: key 00..1f named k1, salt 20..3f, chunk size 4096.
    static func vectorKeyring() throws -> Keyring {
        try Keyring(keys: [Keyring.Key(name: "k1", bytes: Array(0..<32))], origin: "vector")
    }
    static let vectorPlain = Array("cloud-wal known answer".utf8)
    static let vectorStored = Sealing.hex(
        "4357454e430d0a1a0101026b31202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f00001000"
            + "48d55f6286c2cee9303ad16014c0a9cce11fa398eda94469d039c4d7d04bd187ac2ed091ac4170d416fd8ca989e465b2"
            + "4437e9734bd24955bf63d8b75d74493cc208ec6da0f1d4604a9bdb25af40")

    @Test func knownAnswerVector() async throws {
        let stored = try Sealing.seal(Self.vectorPlain, keyring: try Self.vectorKeyring(), chunkSize: 4096)
        #expect(stored == Self.vectorStored)
        #expect(try await Sealing.open(Self.vectorStored, keyring: try Self.vectorKeyring()) == Self.vectorPlain)
    }

    /// Two full chunks and a final one: chunk counter and final flag in the nonce.
    @Test func knownAnswerVectorOverSeveralChunks() async throws {
        let plain: [UInt8] = (0..<(4096 * 2 + 100)).map { (index: Int) -> UInt8 in UInt8((index * 7 + 3) % 251) }
        let stored = try Sealing.seal(plain, keyring: try Self.vectorKeyring(), chunkSize: 4096, piece: 1000)
        var digest = ContentDigest()
        digest.update(stored)
        #expect(digest.finalize() == "c40084e5e5a8f38d1f7186882d2bc99fd0d1ec7fe37e70a126d28b5dc56b8446")
        #expect(try await Sealing.open(stored, keyring: try Self.vectorKeyring(), piece: 333) == plain)
    }

    @Test(arguments: [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 17])
    func roundTrip(size: Int) async throws {
        let keyring = try Sealing.keyring()
        let plain = TestData.segment(size: size, seed: UInt64(size) + 1)
        // Whole, odd pieces across chunk boundaries, and (small sizes) a byte at a time.
        let pieces = [(size + 1, size + 100), (4096, 65552), (100_000, size < 200_000 ? 1 : 4097)]
        for (sealPiece, openPiece) in pieces {
            let stored = try Sealing.seal(plain, keyring: keyring, piece: sealPiece)
            let header = try EncryptionHeader(source: .keyring(name: "k1"), salt: Array(32..<64)).encoded()
            #expect(stored.count == StreamEncryptor.encryptedSize(plaintextSize: size, headerSize: header.count))
            #expect(Array(stored.prefix(header.count)) == header)
            #expect(try await Sealing.open(stored, keyring: keyring, piece: openPiece) == plain)
        }
    }

    /// A fresh salt per object: the same content twice never gives the same bytes.
    @Test func freshSaltPerObject() async throws {
        let keyring = try Sealing.keyring()
        var outputs: [[UInt8]] = []
        for _ in 0..<2 {
            var out: [UInt8] = []
            var encryptor = try await EncryptingStream.start(identity: Sealing.identity, keys: keyring, into: &out)
            try encryptor.update(Array(repeating: 7, count: 1000), into: &out)
            try encryptor.finish(trailer: Sealing.trailer(of: Array(repeating: 7, count: 1000)), into: &out)
            #expect(try await Sealing.open(out, keyring: keyring) == Array(repeating: 7, count: 1000))
            outputs.append(out)
        }
        #expect(outputs[0] != outputs[1])
    }

    @Test func headerRoundTripAndBounds() throws {
        let kms = try EncryptionHeader(
            source: .kms(keyID: "arn:aws:kms:us-east-1:1:key/abc", wrappedKey: Array(repeating: 9, count: 184)),
            salt: Array(repeating: 1, count: 32))
        let bytes = kms.encoded()
        let parsed = try #require(try EncryptionHeader.parse(bytes[...]))
        #expect(parsed.header == kms)
        #expect(parsed.length == bytes.count)
        // Every proper prefix asks for more bytes; none is taken for a header.
        for cut in 0..<bytes.count { #expect(try EncryptionHeader.parse(bytes[..<cut]) == nil) }
        #expect(throws: EncryptionError.self) { try EncryptionHeader(source: .keyring(name: "k1"), salt: [1], chunkSize: 4096) }
        #expect(throws: EncryptionError.self) { try EncryptionHeader(source: .keyring(name: "a b"), salt: Array(repeating: 0, count: 32)) }
        #expect(throws: EncryptionError.self) {
            try EncryptionHeader(source: .keyring(name: "k1"), salt: Array(repeating: 0, count: 32), chunkSize: 1 << 21)
        }
    }
}
