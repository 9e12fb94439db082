import CloudWAL
import Testing

/// Every change to a stored encrypted object is refused, with the error its kind calls for:
/// `.corrupt` for altered bytes, `.keyUnavailable` naming the key for a missing one,
/// `.unsupported` for a format this version does not know. Never plaintext.
@Suite struct EncryptionTamperingTests {
    static let chunk = 4096
    /// Three full chunks and a final one with 100 data bytes.
    static let plain = TestData.segment(size: 3 * 4096 + 100, seed: 5)

    static func stored() throws -> (bytes: [UInt8], headerSize: Int, keyring: Keyring) {
        let keyring = try Sealing.keyring()
        let bytes = try Sealing.seal(plain, keyring: keyring, chunkSize: chunk)
        let headerSize = try EncryptionHeader(source: .keyring(name: "k1"), salt: Array(32..<64), chunkSize: chunk)
            .encoded().count
        return (bytes, headerSize, keyring)
    }

    static var record: Int { chunk + EncryptionFormat.tagSize }

    @Test func untouchedOpens() async throws {
        let (bytes, _, keyring) = try Self.stored()
        #expect(try await Sealing.open(bytes, keyring: keyring) == Self.plain)
    }

    /// Any bit of the header: the key name changes to one the keyring lacks, or the header no
    /// longer parses, or its digest (in every chunk's associated data) no longer matches.
    @Test func everyHeaderBitFlipIsRefused() async throws {
        let (bytes, headerSize, keyring) = try Self.stored()
        for offset in 0..<headerSize {
            for bit in [0, 3, 7] {
                var tampered = bytes
                tampered[offset] ^= 1 << bit
                let error = await Sealing.failure(tampered, keyring: keyring)
                #expect(error != nil, "flip at header byte \(offset) bit \(bit) was accepted")
            }
        }
        // The salt (after magic, version, source, name length, name "k1"): a clean corrupt.
        var salt = bytes
        salt[8 + 1 + 1 + 1 + 2 + 5] ^= 0x10
        #expect(await Sealing.failure(salt, keyring: keyring)?.kind == .corrupt)
    }

    @Test func bodyAndTagBitFlipsAreCorrupt() async throws {
        let (bytes, headerSize, keyring) = try Self.stored()
        let offsets = [
            headerSize, headerSize + 1000, headerSize + Self.record - 17,  // chunk 0 body
            headerSize + Self.record - 1,  // chunk 0 tag
            headerSize + 2 * Self.record + 5,  // chunk 2 body
            bytes.count - 60,  // final chunk data
            bytes.count - 20,  // final chunk trailer
            bytes.count - 1,  // final chunk tag
        ]
        for offset in offsets {
            var tampered = bytes
            tampered[offset] ^= 0x01
            let error = await Sealing.failure(tampered, keyring: keyring)
            #expect(error?.kind == .corrupt, "flip at \(offset)")
        }
    }

    @Test func truncationIsCorrupt() async throws {
        let (bytes, headerSize, keyring) = try Self.stored()
        let cuts = [
            headerSize + 3 * Self.record,  // at a chunk boundary: the final chunk is gone
            headerSize + 2 * Self.record,  // two chunks early
            headerSize + Self.record,  // one full chunk left, taken for the final one
            bytes.count - 1,  // inside the final chunk
            headerSize + Self.record + 100,  // inside a full chunk
            headerSize + 10,  // shorter than any record
            headerSize,  // header only
            headerSize - 5,  // inside the header
            0,
        ]
        for cut in cuts {
            let error = await Sealing.failure(Array(bytes.prefix(cut)), keyring: keyring)
            #expect(error?.kind == .corrupt, "cut at \(cut)")
        }
    }

    @Test func appendedBytesAreCorrupt() async throws {
        let (bytes, _, keyring) = try Self.stored()
        #expect(await Sealing.failure(bytes + [0], keyring: keyring)?.kind == .corrupt)
        #expect(await Sealing.failure(bytes + bytes, keyring: keyring)?.kind == .corrupt)
    }

    @Test func swappedOrDuplicatedChunksAreCorrupt() async throws {
        let (bytes, headerSize, keyring) = try Self.stored()
        func record(_ index: Int) -> ArraySlice<UInt8> {
            bytes[(headerSize + index * Self.record)..<(headerSize + (index + 1) * Self.record)]
        }
        let header = Array(bytes.prefix(headerSize))
        let final = bytes[(headerSize + 3 * Self.record)...]
        let swapped = header + record(1) + record(0) + record(2) + final
        #expect(await Sealing.failure(swapped, keyring: keyring)?.kind == .corrupt)
        let dropped = header + record(0) + record(2) + final
        #expect(await Sealing.failure(Array(dropped), keyring: keyring)?.kind == .corrupt)
        let repeated = header + record(0) + record(0) + record(1) + record(2) + final
        #expect(await Sealing.failure(Array(repeated), keyring: keyring)?.kind == .corrupt)
    }

    /// A chunk from another object under the same key and header cannot be spliced in either:
    /// the other object has its own salt, hence its own key.
    @Test func chunkSplicedFromAnotherObjectIsCorrupt() async throws {
        let (bytes, headerSize, keyring) = try Self.stored()
        let other = try Sealing.seal(Self.plain, keyring: keyring, salt: Array(repeating: 0xAB, count: 32), chunkSize: Self.chunk)
        var spliced = bytes
        spliced.replaceSubrange(
            (headerSize + Self.record)..<(headerSize + 2 * Self.record),
            with: other[(headerSize + Self.record)..<(headerSize + 2 * Self.record)])
        #expect(await Sealing.failure(spliced, keyring: keyring)?.kind == .corrupt)
        // The other object's header on this body: its digest and salt differ.
        let swappedHeader = Array(other.prefix(headerSize)) + bytes[headerSize...]
        #expect(await Sealing.failure(swappedHeader, keyring: keyring)?.kind == .corrupt)
    }

    @Test func renamedObjectIsCorrupt() async throws {
        let (bytes, _, keyring) = try Self.stored()
        for identity in [
            LogicalIdentity.wal(server: "pg1", walName: "000000010000000000000002"),
            LogicalIdentity.wal(server: "pg2", walName: "000000010000000000000001"),
            LogicalIdentity.backup(server: "pg1", backupID: "20261201T000000", file: "data.tar"),
        ] {
            #expect(await Sealing.failure(bytes, keyring: keyring, identity: identity)?.kind == .corrupt)
        }
    }

    @Test func wrongKeyUnderTheSameNameIsCorrupt() async throws {
        let (bytes, _, _) = try Self.stored()
        let impostor = try Sealing.keyring(["k1"], seed: 99)
        #expect(await Sealing.failure(bytes, keyring: impostor)?.kind == .corrupt)
    }

    @Test func missingKeyNamesTheKeyItNeeds() async throws {
        let (bytes, _, _) = try Self.stored()
        let other = try Sealing.keyring(["k2", "k3"])
        let unknown = try #require(await Sealing.failure(bytes, keyring: other))
        #expect(unknown.kind == .keyUnavailable)
        #expect(unknown.message.contains("'k1'"))
        #expect(FailureCategory(of: unknown) == .denied)
        let none = try #require(await Sealing.failure(bytes, keyring: nil))
        #expect(none.kind == .keyUnavailable)
        #expect(none.message.contains("'k1'") && none.message.contains("--encryption-keyring"))
        #expect(!none.message.contains("\n"))
    }

    @Test func unknownVersionOrSourceIsUnsupported() async throws {
        let (bytes, _, keyring) = try Self.stored()
        var version = bytes
        version[8] = 2
        let error = try #require(await Sealing.failure(version, keyring: keyring))
        #expect(error.kind == .unsupported)
        #expect(error.message == "unsupported encryption format version 2")
        var source = bytes
        source[9] = 7
        #expect(await Sealing.failure(source, keyring: keyring)?.message == "unsupported encryption key source 7")
    }

    /// Restores exit 4 (255 in targeted recovery) for every such failure, never 1 ("not found").
    @Test func failuresNeverReadAsNotFound() {
        for kind in [EncryptionErrorKind.corrupt, .keyUnavailable, .unsupported] {
            let code = ExitStatusPolicy.code(for: EncryptionError(kind, "x"), command: .restore, inTargetedRecovery: false)
            #expect(code == ExitStatusPolicy.otherFailure)
            let targeted = ExitStatusPolicy.code(for: EncryptionError(kind, "x"), command: .restore, inTargetedRecovery: true)
            #expect(targeted == ExitStatusPolicy.abortRecovery)
        }
    }
}
