import CloudWAL
import Foundation
import Testing

/// The keyring file: its text, its permission checks, `keyring add`, and rotation.
@Suite struct KeyringTests {
    @Test func textRoundTripsAndFirstKeyEncrypts() throws {
        let keyring = try Sealing.keyring(["new", "old"])
        let parsed = try Keyring.parse(keyring.serialized(), origin: "copy")
        #expect(parsed.keys.map(\.name) == ["new", "old"])
        #expect(parsed.encryptingKey.name == "new")
        #expect(!"\(parsed)".contains("="), "a keyring's description shows names only")
    }

    @Test func malformedTextIsRefusedWithoutEchoingIt() throws {
        let secret = "c2VjcmV0LWtleS1tYXRlcmlhbC0wMTIzNDU2Nzg5YWJjZA=="
        let cases: [(String, EncryptionErrorKind)] = [
            ("k1 \(secret)\n", .keyringInvalid),  // no version line
            ("cloud-wal-keyring 2\nk1 \(secret)\n", .unsupported),
            ("cloud-wal-keyring 1\n", .keyringInvalid),  // no key
            ("cloud-wal-keyring 1\nk1 \(secret)x\n", .keyringInvalid),  // not base64
            ("cloud-wal-keyring 1\nk1 \(Base64.encode(Array(repeating: UInt8(1), count: 16)))\n", .keyringInvalid),
            ("cloud-wal-keyring 1\nbad/name \(Base64.encode(Array(repeating: UInt8(1), count: 32)))\n", .keyringInvalid),
            ("cloud-wal-keyring 1\nk1 \(Base64.encode(Array(repeating: UInt8(1), count: 32)))\nk1 \(Base64.encode(Array(repeating: UInt8(2), count: 32)))\n", .keyringInvalid),
        ]
        for (text, kind) in cases {
            #expect {
                try Keyring.parse(Array(text.utf8), origin: "/etc/k")
            } throws: { error in
                guard let error = error as? EncryptionError else { return false }
                return error.kind == kind && !error.message.contains(secret) && !error.message.contains("\n")
            }
        }
        let commented = "# a comment\n\ncloud-wal-keyring 1\r\n# another\nk1 \(Base64.encode(Array(repeating: UInt8(1), count: 32)))\r\n"
        #expect(try Keyring.parse(Array(commented.utf8), origin: "crlf").keys.map(\.name) == ["k1"])
    }

    @Test func keyringAddCreatesPrivateFileThenRotates() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/keyring"
        let first = try KeyringFile.add(path, name: "first")
        #expect(first.name == "first" && first.keyCount == 1 && first.created)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let second = try KeyringFile.add(path, now: Timestamp(microseconds: 1_764_600_000_000_000))
        #expect(second.name == "key-20251201T144000")
        #expect(second.keyCount == 2 && !second.created)
        let loaded = try KeyringFile.load(path)
        #expect(loaded.keys.map(\.name) == ["key-20251201T144000", "first"])
        #expect(throws: EncryptionError.self) { try KeyringFile.add(path, name: "first") }
        #expect(throws: EncryptionError.self) { try KeyringFile.add(path, name: "has space") }
        #expect(try KeyringFile.load(path).keys.count == 2, "a refused add leaves the keyring alone")
    }

    @Test func keyringOpenToOthersIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/keyring"
        _ = try KeyringFile.add(path, name: "k1")
        for mode in [0o640, 0o604, 0o644, 0o660] {
            #expect(chmod(path, mode_t(mode)) == 0)
            #expect {
                try KeyringFile.load(path)
            } throws: { error in
                (error as? EncryptionError)?.kind == .keyringInvalid
                    && "\(error)".contains("chmod 600") && "\(error)".contains(String(mode, radix: 8))
            }
        }
        #expect(chmod(path, 0o400) == 0)
        #expect(try KeyringFile.load(path).keys.map(\.name) == ["k1"])
        #expect(throws: EncryptionError.self) { try KeyringFile.load(directory.path + "/absent") }
        #expect(throws: EncryptionError.self) { try KeyringFile.load(directory.path) }
    }

    @Test func keyringOwnedByAnotherUserIsRefused() throws {
        #expect(throws: EncryptionError.self) {
            try KeyringFile.judge(isRegularFile: true, owner: geteuid() &+ 1, mode: 0o600, path: "/k")
        }
        #expect(throws: EncryptionError.self) {
            try KeyringFile.judge(isRegularFile: false, owner: geteuid(), mode: 0o600, path: "/k")
        }
        try KeyringFile.judge(isRegularFile: true, owner: geteuid(), mode: 0o100600, path: "/k")
        // As root the real file check is shown too: a keyring chowned to nobody is refused.
        if geteuid() == 0 {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let path = directory.path + "/keyring"
            _ = try KeyringFile.add(path, name: "k1")
            #expect(chown(path, 65534, 65534) == 0)
            #expect(throws: EncryptionError.self) { try KeyringFile.load(path) }
        }
    }

    /// Rotation: an object from before (old key, now second) still opens; new objects name the new key.
    @Test func rotatedKeyringStillOpensOldObjects() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/keyring"
        _ = try KeyringFile.add(path, name: "2026-01")
        let before = try KeyringFile.load(path)
        let plain = TestData.segment(size: 200_000, seed: 9)
        var old: [UInt8] = []
        var encryptor = try await EncryptingStream.start(identity: Sealing.identity, keys: before, into: &old)
        try encryptor.update(plain, into: &old)
        try encryptor.finish(trailer: Sealing.trailer(of: plain), into: &old)

        _ = try KeyringFile.add(path, name: "2026-02")
        let after = try KeyringFile.load(path)
        #expect(try await Sealing.open(old, keyring: after) == plain)
        var new: [UInt8] = []
        let newEncryptor = try await EncryptingStream.start(identity: Sealing.identity, keys: after, into: &new)
        #expect(newEncryptor.header.source == .keyring(name: "2026-02"))
        // The old keyring alone cannot read what the new key wrote, and says which key it needs.
        var sealed = new
        var writer = newEncryptor
        try writer.finish(trailer: Sealing.trailer(of: []), into: &sealed)
        let error = await Sealing.failure(sealed, keyring: before)
        #expect(error?.kind == .keyUnavailable && error?.message.contains("'2026-02'") == true)
    }
}
