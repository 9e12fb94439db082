import CloudWAL
import Foundation
import Testing

/// wal-archive and wal-restore with `--encryption-keyring`, through the library on file://:
/// names, metadata, the duplicate rule, missing keys, renames, rotation, look-ahead and the spool.
@Suite("encrypted WAL archive and restore")
struct EncryptedWALArchiveTests {
    static let segment = "000000010000000000000003"

    struct Fixture {
        let dir: TemporaryDirectory
        let store: FileSystemStore
        let layout: ArchiveLayout
        let keyring: Keyring

        init() throws {
            dir = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: dir.path + "/archive", withIntermediateDirectories: true)
            store = FileSystemStore(root: dir.path + "/archive")
            layout = try ArchiveLayout(prefix: "", serverName: "pg1")
            keyring = try Sealing.keyring(["k1"])
        }

        func archiver(_ compression: Compression? = nil, keys: Keyring?) -> WALArchiver {
            WALArchiver(
                store: store, layout: layout, configuration: .init(compression: compression, encryption: keys),
                logger: TestData.quietLogger)
        }

        func restorer(keys: Keyring?, spool: WALSpool? = nil) -> WALRestorer {
            WALRestorer(store: store, layout: layout, spool: spool, dataDirectory: nil, keys: keys, logger: TestData.quietLogger)
        }

        func key(_ name: String, _ compression: Compression? = nil) -> String {
            "pg1/wals/\(name.prefix(16))/\(name)\(compression?.fileExtension ?? "").cwenc"
        }

        func write(_ name: String, seed: UInt64) throws -> (path: String, content: [UInt8]) {
            let content = TestData.walSegment(name, seed: seed)
            return (try dir.write(content, to: "pg_wal/\(name)"), content)
        }
    }

    @Test(arguments: [nil, Compression.zstd, .gzip])
    func roundTripLeavesNothingOfTheContentInTheClear(compression: Compression?) async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let (path, content) = try fx.write(Self.segment, seed: 3)
        let outcome = try await fx.archiver(compression, keys: fx.keyring).archive(walPath: path)
        let key = fx.key(Self.segment, compression)
        guard case .archived(let stored, let size, _) = outcome else {
            Issue.record("expected a new object, got \(outcome)")
            return
        }
        #expect(stored == key && size == content.count)
        let info = try #require(try await fx.store.head(key))
        #expect(info.metadata.isEmpty, "no digest, size or system identifier in the metadata: \(info.metadata)")
        let bytes = try fx.dir.read("archive/\(key)")
        #expect(Array(bytes.prefix(8)) == EncryptionFormat.magic)
        #expect(!bytes.containsSubsequence(Array(content[100..<164])), "plaintext visible in the object")

        let restored = try await fx.restorer(keys: fx.keyring).restore(walName: Self.segment, to: fx.dir.path + "/RECOVERYXLOG")
        #expect(restored == .restored(key: key, size: content.count, fromPartial: false, verified: true))
        #expect(try fx.dir.read("RECOVERYXLOG") == content)
    }

    @Test func withoutTheKeyRestoreNamesItAndIsNeverNotFound() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let (path, _) = try fx.write(Self.segment, seed: 4)
        _ = try await fx.archiver(.zstd, keys: fx.keyring).archive(walPath: path)
        for keys in [nil, try Sealing.keyring(["other"])] {
            await #expect {
                try await fx.restorer(keys: keys).restore(walName: Self.segment, to: fx.dir.path + "/RECOVERYXLOG")
            } throws: { error in
                guard let error = error as? EncryptionError else { return false }
                return error.kind == .keyUnavailable && error.message.contains("'k1'")
                    && ExitStatusPolicy.code(for: error, command: .restore, inTargetedRecovery: false) == 4
            }
            #expect(!FileSystemOps.exists(fx.dir.path + "/RECOVERYXLOG"))
        }
    }

    @Test func duplicateRuleComparesThePlaintextInsideTheObject() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let (path, original) = try fx.write(Self.segment, seed: 5)
        _ = try await fx.archiver(keys: fx.keyring).archive(walPath: path)
        let before = try fx.dir.read("archive/\(fx.key(Self.segment))")
        // Same content, even under another compression or without encryption's keys missing: success.
        #expect(try await fx.archiver(.zstd, keys: fx.keyring).archive(walPath: path) == .alreadyArchived(key: fx.key(Self.segment)))
        // Different content: a conflict, the archived copy kept.
        let other = try fx.dir.write(TestData.walSegment(Self.segment, seed: 6), to: "b/\(Self.segment)")
        await #expect {
            try await fx.archiver(keys: fx.keyring).archive(walPath: other)
        } throws: { ($0 as? WALError)?.kind == .conflict }
        // Without the key the stored copy cannot be judged: refused, never overwritten or duplicated.
        await #expect {
            try await fx.archiver(keys: nil).archive(walPath: path)
        } throws: { ($0 as? EncryptionError)?.kind == .keyUnavailable }
        let listing = try await fx.store.list(prefix: fx.layout.walsPrefix, delimiter: nil)
        #expect(listing.objects.map(\.key) == [fx.key(Self.segment)])
        #expect(try fx.dir.read("archive/\(fx.key(Self.segment))") == before)
        let restored = try await fx.restorer(keys: fx.keyring).restore(walName: Self.segment, to: fx.dir.path + "/r")
        guard case .restored = restored else { Issue.record("\(restored)"); return }
        #expect(try fx.dir.read("r") == original)
    }

    /// A plain object archived before encryption was turned on still counts as the same content.
    @Test func plainObjectBeforeEncryptionStillSettlesDuplicates() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let (path, content) = try fx.write(Self.segment, seed: 7)
        _ = try await fx.archiver(keys: nil).archive(walPath: path)
        let plainKey = "pg1/wals/0000000100000000/\(Self.segment)"
        #expect(try await fx.archiver(keys: fx.keyring).archive(walPath: path) == .alreadyArchived(key: plainKey))
        _ = try await fx.restorer(keys: fx.keyring).restore(walName: Self.segment, to: fx.dir.path + "/r")
        #expect(try fx.dir.read("r") == content)
    }

    @Test func objectRenamedOntoAnotherSegmentIsCorrupt() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let (path, _) = try fx.write(Self.segment, seed: 8)
        _ = try await fx.archiver(keys: fx.keyring).archive(walPath: path)
        let next = "000000010000000000000004"
        try FileManager.default.copyItem(
            atPath: fx.dir.path + "/archive/" + fx.key(Self.segment), toPath: fx.dir.path + "/archive/" + fx.key(next))
        await #expect {
            try await fx.restorer(keys: fx.keyring).restore(walName: next, to: fx.dir.path + "/r")
        } throws: { error in
            (error as? EncryptionError)?.kind == .corrupt && "\(error)".contains(fx.key(next))
        }
        #expect(!FileSystemOps.exists(fx.dir.path + "/r"))
    }

    @Test func rotationKeepsOldSegmentsRestorable() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let path = fx.dir.path + "/keyring"
        _ = try KeyringFile.add(path, name: "old")
        let first = try fx.write("000000010000000000000001", seed: 1)
        _ = try await fx.archiver(keys: try KeyringFile.load(path)).archive(walPath: first.path)
        _ = try KeyringFile.add(path, name: "new")
        let second = try fx.write("000000010000000000000002", seed: 2)
        _ = try await fx.archiver(keys: try KeyringFile.load(path)).archive(walPath: second.path)
        let secondBytes = try fx.dir.read("archive/\(fx.key("000000010000000000000002"))")
        #expect(secondBytes.containsSubsequence(Array("new".utf8)))
        let rotated = try KeyringFile.load(path)
        for (name, content) in [("000000010000000000000001", first.content), ("000000010000000000000002", second.content)] {
            _ = try await fx.restorer(keys: rotated).restore(walName: name, to: fx.dir.path + "/r-\(name)")
            #expect(try fx.dir.read("r-\(name)") == content)
        }
    }

    @Test func lookAheadRecordsThePlaintextDigest() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        try FileManager.default.createDirectory(atPath: fx.dir.path + "/pg_wal/archive_status", withIntermediateDirectories: true)
        var contents: [String: [UInt8]] = [:]
        for n in 1...3 {
            let name = "00000001000000000000000\(n)"
            contents[name] = try fx.write(name, seed: UInt64(n)).content
            _ = try fx.dir.write([], to: "pg_wal/archive_status/\(name).ready")
        }
        let state = ArchiveStateDirectory(baseDirectory: fx.dir.path + "/state", archiveIdentity: "file:///x pg1")
        let lookAhead = LookAheadArchiver(
            archiver: fx.archiver(.lz4, keys: fx.keyring), parallel: 3, state: state, logger: TestData.quietLogger)
        _ = try await lookAhead.archive(walPath: fx.dir.path + "/pg_wal/000000010000000000000001")
        let record = try #require(state.record(for: "000000010000000000000002"))
        var digest = ContentDigest()
        digest.update(contents["000000010000000000000002"] ?? [])
        #expect(record.sha256 == digest.finalize())
        #expect(record.key == fx.key("000000010000000000000002", .lz4))
        #expect(try await lookAhead.archive(walPath: fx.dir.path + "/pg_wal/000000010000000000000002")
            == .storedAhead(key: fx.key("000000010000000000000002", .lz4)))
    }

    @Test func prefetcherSpoolsDecryptedSegments() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        var contents: [String: [UInt8]] = [:]
        for n in 1...4 {
            let name = "00000001000000000000000\(n)"
            let written = try fx.write(name, seed: UInt64(n) + 10)
            contents[name] = written.content
            _ = try await fx.archiver(.zstd, keys: fx.keyring).archive(walPath: written.path)
        }
        let spool = WALSpool(baseDirectory: fx.dir.path + "/spool", archiveIdentity: "file:///a pg1", parallel: 3)
        let restorer = fx.restorer(keys: fx.keyring, spool: spool)
        _ = try await restorer.restore(walName: "000000010000000000000001", to: fx.dir.path + "/r1")
        let prefetcher = try #require(SpoolPrefetcher(restorer: restorer, idleLimit: .milliseconds(300)))
        _ = await prefetcher.run()
        #expect(spool.spooledSegments() == ["000000010000000000000002", "000000010000000000000003"])
        #expect(try await restorer.restore(walName: "000000010000000000000002", to: fx.dir.path + "/r2") == .fromSpool)
        #expect(try fx.dir.read("r2") == contents["000000010000000000000002"])
    }

    @Test func inventoryAndLayoutSeeEncryptedObjects() throws {
        let parsed = try #require(ArchiveLayout.parseObjectName("pg1/wals/0000000100000000/000000010000000000000003.zst.cwenc"))
        #expect(parsed.wal.name == "000000010000000000000003" && parsed.compression == .zstd)
        let partial = try #require(ArchiveLayout.parseObjectName("pg1/wals/0000000100000000/000000010000000000000003.partial.cwenc"))
        #expect(partial.wal.kind == .partial && partial.compression == nil)
        #expect(ArchiveLayout.parseObjectName("pg1/wals/0000000100000000/000000010000000000000003.cwenc.zst") == nil)
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}
