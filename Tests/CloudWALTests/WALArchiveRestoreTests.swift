import CloudWAL
import Foundation
import Testing

/// Archive and restore through the library against the file:// backend.
@Suite("wal-archive and wal-restore logic")
struct WALArchiveRestoreTests {
    static let segmentName = "000000010000000000000003"
    static let compressions: [Compression?] = [nil] + Compression.allCases

    struct Fixture: FileArchiveFixture {
        let base: FileArchive

        init() throws {
            base = try FileArchive()
        }

        func archiver(_ compression: Compression? = nil, tags: [ObjectTag] = [], historyTags: [ObjectTag] = [])
            -> WALArchiver
        {
            WALArchiver(
                store: store, layout: layout,
                configuration: .init(compression: compression, tags: tags, historyTags: historyTags),
                logger: TestData.quietLogger)
        }

        var restorer: WALRestorer { WALRestorer(store: store, layout: layout, logger: TestData.quietLogger) }
    }

    @Test(arguments: compressions)
    func roundTripsEveryCompression(compression: Compression?) async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let content = TestData.walSegment(Self.segmentName, seed: 7)
        let source = try fx.dir.write(content, to: "pg_wal/\(Self.segmentName)")
        let outcome = try await fx.archiver(compression).archive(walPath: source)
        let key = "pg1/wals/0000000100000000/\(Self.segmentName)\(compression?.fileExtension ?? "")"
        guard case .archived(let storedKey, let size, _) = outcome else {
            Issue.record("expected a new object, got \(outcome)")
            return
        }
        #expect(storedKey == key)
        #expect(size == content.count)
        let info = try #require(try await fx.store.head(key))
        #expect(info.metadata[ObjectMetadataKey.sha256]?.count == 64)
        let restored = try await fx.restorer.restore(walName: Self.segmentName, to: fx.dir.path + "/RECOVERYXLOG")
        #expect(restored == .restored(key: key, size: content.count, fromPartial: false, verified: true))
        #expect(try fx.dir.read("RECOVERYXLOG") == content)
        // Nothing but %p is left beside it.
        #expect(try FileSystemOps.contents(of: fx.dir.path).map(\.name).sorted() == ["RECOVERYXLOG", "archive", "pg_wal"])
    }

    @Test func sameContentIsSuccessDifferentContentFailsAndKeepsTheArchivedCopy() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let original = TestData.walSegment(Self.segmentName, seed: 1)
        let first = try fx.dir.write(original, to: "a/\(Self.segmentName)")
        _ = try await fx.archiver().archive(walPath: first)
        // Again with the same bytes, even under another compression: nothing new is stored.
        let again = try await fx.archiver(.zstd).archive(walPath: first)
        #expect(again == .alreadyArchived(key: "pg1/wals/0000000100000000/\(Self.segmentName)"))
        let other = try fx.dir.write(TestData.walSegment(Self.segmentName, seed: 2), to: "b/\(Self.segmentName)")
        await #expect {
            try await fx.archiver(.gzip).archive(walPath: other)
        } throws: { error in
            (error as? WALError)?.kind == .conflict
        }
        let listing = try await fx.store.list(prefix: fx.layout.walsPrefix, delimiter: nil)
        #expect(listing.objects.map(\.key) == ["pg1/wals/0000000100000000/\(Self.segmentName)"])
        #expect(try fx.dir.read("archive/pg1/wals/0000000100000000/\(Self.segmentName)") == original)
    }

    @Test func concurrentArchiversOfTheSameSegmentBothSucceedWithOneObject() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let source = try fx.dir.write(TestData.walSegment(Self.segmentName, seed: 3), to: "pg_wal/\(Self.segmentName)")
        let outcomes = try await withThrowingTaskGroup(of: WALArchiver.Outcome.self) { group in
            for _ in 0..<4 { group.addTask { try await fx.archiver().archive(walPath: source) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .archived = $0 { true } else { false } }.count == 1)
        #expect(try await fx.store.list(prefix: "", delimiter: nil).objects.count == 1)
    }

    @Test func completeSegmentWinsOverPartialAndNoPartialIsHonoured() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let partialContent = TestData.walSegment(Self.segmentName, seed: 4)
        let partial = try fx.dir.write(partialContent, to: "pg_wal/\(Self.segmentName).partial")
        _ = try await fx.archiver(.gzip).archive(walPath: partial)

        let fromPartial = try await fx.restorer.restore(walName: Self.segmentName, to: fx.dir.path + "/p1")
        #expect(fromPartial == .restored(
            key: "pg1/wals/0000000100000000/\(Self.segmentName).partial.gz", size: partialContent.count,
            fromPartial: true, verified: true))
        #expect(try fx.dir.read("p1") == partialContent)
        await #expect {
            try await fx.restorer.restore(walName: Self.segmentName, to: fx.dir.path + "/p2", allowPartial: false)
        } throws: { ($0 as? WALError)?.kind == .notFound }

        let complete = TestData.walSegment(Self.segmentName, seed: 5)
        _ = try await fx.archiver().archive(walPath: try fx.dir.write(complete, to: "pg_wal/\(Self.segmentName)"))
        _ = try await fx.restorer.restore(walName: Self.segmentName, to: fx.dir.path + "/p3")
        #expect(try fx.dir.read("p3") == complete)
    }

    @Test(arguments: compressions)
    func corruptObjectsAreNeverRestored(compression: Compression?) async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let source = try fx.dir.write(TestData.walSegment(Self.segmentName, seed: 6), to: "pg_wal/\(Self.segmentName)")
        _ = try await fx.archiver(compression).archive(walPath: source)
        let path = fx.dir.path + "/archive/pg1/wals/0000000100000000/\(Self.segmentName)\(compression?.fileExtension ?? "")"
        var stored = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        stored[stored.count / 2] ^= 0x55
        try Data(stored).write(to: URL(fileURLWithPath: path))
        await #expect {
            try await fx.restorer.restore(walName: Self.segmentName, to: fx.dir.path + "/RECOVERYXLOG")
        } throws: { ($0 as? WALError)?.kind == .corrupt }
        #expect(!FileSystemOps.exists(fx.dir.path + "/RECOVERYXLOG"))
        #expect(try FileSystemOps.contents(of: fx.dir.path).map(\.name).sorted() == ["archive", "pg_wal"])
    }

    @Test func objectsWithoutRecordedChecksumRestoreUnverified() async throws {
        // What barman-cloud writes: the bare (here gzip-compressed) bytes and no metadata.
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let content = TestData.walSegment(Self.segmentName, seed: 8)
        let key = "pg1/wals/0000000100000000/\(Self.segmentName).gz"
        _ = try await fx.store.put(key, body: try Compression.compress(content, with: .gzip), options: PutOptions())
        let outcome = try await fx.restorer.restore(walName: Self.segmentName, to: fx.dir.path + "/out")
        #expect(outcome == .restored(key: key, size: content.count, fromPartial: false, verified: false))
        #expect(try fx.dir.read("out") == content)
    }

    @Test func historyFilesGoToWalsAndTakeHistoryTags() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let text = Array("1\t0/3000000\tno recovery target specified\n".utf8)
        let source = try fx.dir.write(text, to: "pg_wal/00000002.history")
        let archiver = fx.archiver(
            tags: [ObjectTag(key: "kind", value: "wal")], historyTags: [ObjectTag(key: "kind", value: "history")])
        #expect(try await archiver.archive(walPath: source)
            == .archived(key: "pg1/wals/00000002.history", size: text.count, storedSize: text.count))
        #expect(try await fx.store.head("pg1/wals/00000002.history")?.metadata["tag.kind"] == "history")
        _ = try await fx.restorer.restore(walName: "00000002.history", to: fx.dir.path + "/h")
        #expect(try fx.dir.read("h") == text)
        await #expect {
            try await fx.restorer.restore(walName: "00000003.history", to: fx.dir.path + "/h3")
        } throws: { ($0 as? WALError)?.kind == .notFound }
    }

    @Test func inputErrorsAreClassified() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let archiver = fx.archiver()
        let badName = try fx.dir.write([1], to: "pg_wal/not-a-wal")
        await #expect { try await archiver.archive(walPath: badName) } throws: { ($0 as? WALError)?.kind == .invalidInput }
        await #expect {
            try await archiver.archive(walPath: fx.dir.path + "/pg_wal/\(Self.segmentName)")
        } throws: { ($0 as? WALError)?.kind == .sourceUnreadable }
        let truncated = try fx.dir.write([UInt8](repeating: 1, count: 1000), to: "t/\(Self.segmentName)")
        await #expect { try await archiver.archive(walPath: truncated) } throws: {
            ($0 as? WALError)?.kind == .sourceUnreadable
        }
        #expect(try await fx.store.list(prefix: "", delimiter: nil).objects.isEmpty)
        await #expect {
            try await fx.restorer.restore(walName: "../\(Self.segmentName)", to: fx.dir.path + "/x")
        } throws: { ($0 as? WALError)?.kind == .invalidInput }
    }

    @Test func unwritableDestinationIsNotNotFound() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let source = try fx.dir.write(TestData.walSegment(Self.segmentName, seed: 9), to: "pg_wal/\(Self.segmentName)")
        _ = try await fx.archiver().archive(walPath: source)
        await #expect {
            try await fx.restorer.restore(walName: Self.segmentName, to: fx.dir.path + "/no/such/dir/RECOVERYXLOG")
        } throws: { ($0 as? WALError)?.kind == .destinationFailed }
    }

    @Test func prefetchFillsTheSpoolAndTheNextCallIsServedFromIt() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        var contents: [String: [UInt8]] = [:]
        for n in 1...4 {
            let name = "00000001000000000000000\(n)"
            contents[name] = TestData.walSegment(name, seed: UInt64(n))
            _ = try await fx.archiver(.zstd).archive(walPath: try fx.dir.write(contents[name]!, to: "pg_wal/\(name)"))
        }
        let spool = WALSpool(baseDirectory: fx.dir.path + "/spool", archiveIdentity: "file:///a pg1", parallel: 3)
        let restorer = WALRestorer(store: fx.store, layout: fx.layout, spool: spool, logger: TestData.quietLogger)
        let first = try await restorer.restore(walName: "000000010000000000000001", to: fx.dir.path + "/r1")
        guard case .restored = first else { Issue.record("expected a download, got \(first)"); return }
        #expect(try fx.dir.read("r1") == contents["000000010000000000000001"])
        // The call fetched only its own segment and recorded it; the prefetcher fills the window.
        #expect(spool.spooledSegments().isEmpty)
        #expect(restorer.prefetcherWanted(after: "000000010000000000000001"))
        let prefetcher = try #require(SpoolPrefetcher(restorer: restorer, idleLimit: .milliseconds(300)))
        #expect(await prefetcher.run() == .idle)
        #expect(spool.spooledSegments() == ["000000010000000000000002", "000000010000000000000003"])
        #expect(!restorer.prefetcherWanted(after: "000000010000000000000001"), "the window is complete")

        // The archive copy is gone, yet the next call succeeds: it never asked the store.
        try await fx.store.delete("pg1/wals/0000000100000000/000000010000000000000002.zst")
        #expect(try await restorer.restore(walName: "000000010000000000000002", to: fx.dir.path + "/r2") == .fromSpool)
        #expect(try fx.dir.read("r2") == contents["000000010000000000000002"])
        #expect(!FileSystemOps.exists(spool.path(for: "000000010000000000000002")))

        // Another archive's spool never hands out these files.
        let foreign = WALSpool(baseDirectory: fx.dir.path + "/spool", archiveIdentity: "file:///b pg1", parallel: 3)
        #expect(foreign.directory != spool.directory)
        let other = WALRestorer(store: fx.store, layout: fx.layout, spool: foreign, logger: TestData.quietLogger)
        await #expect {
            try await other.restore(walName: "000000010000000000000002", to: fx.dir.path + "/r3")
        } throws: { ($0 as? WALError)?.kind == .notFound }
    }
}
