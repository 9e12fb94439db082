import CloudWAL
import Foundation
import Testing

/// `wal-restore -p`'s background prefetcher in process, against the file:// backend: what it
/// fetches, what it removes, when it stops, and its lock.
@Suite("Spool prefetcher")
struct SpoolPrefetcherTests {
    struct Fixture {
        let dir: TemporaryDirectory
        let store: FileSystemStore
        let layout: ArchiveLayout
        let spool: WALSpool
        var contents: [String: [UInt8]] = [:]

        init(segments: ClosedRange<Int>, parallel: Int = 4) async throws {
            dir = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: dir.path + "/archive", withIntermediateDirectories: true)
            store = FileSystemStore(root: dir.path + "/archive")
            layout = try ArchiveLayout(prefix: "", serverName: "pg1")
            spool = WALSpool(baseDirectory: dir.path + "/spool", archiveIdentity: "file:///a pg1", parallel: parallel)
            let archiver = WALArchiver(store: store, layout: layout, configuration: .init(), logger: TestData.quietLogger)
            for n in segments {
                let name = Self.name(n)
                let bytes = TestData.walSegment(name, seed: UInt64(n))
                contents[name] = bytes
                _ = try await archiver.archive(walPath: try dir.write(bytes, to: "pg_wal/\(name)"))
            }
        }

        static func name(_ n: Int) -> String {
            let hex = String(n, radix: 16, uppercase: true)
            return "00000001" + "00000000" + String(repeating: "0", count: 8 - hex.count) + hex
        }

        var restorer: WALRestorer {
            WALRestorer(store: store, layout: layout, spool: spool, dataDirectory: nil, logger: TestData.quietLogger)
        }

        func prefetcher(idle: Duration = .milliseconds(300)) throws -> SpoolPrefetcher {
            try #require(SpoolPrefetcher(restorer: restorer, idleLimit: idle, pollInterval: .milliseconds(10)))
        }

        func restore(_ n: Int) async throws -> WALRestorer.Outcome {
            try await restorer.restore(walName: Self.name(n), to: dir.path + "/RECOVERYXLOG")
        }
    }

    @Test func keepsTheWindowRemovesWhatIsBehindAndStopsAtTheEndOfTheArchive() async throws {
        let fx = try await Fixture(segments: 1...6)
        defer { fx.dir.remove() }
        guard case .restored = try await fx.restore(1) else { Issue.record("1 was not downloaded"); return }
        #expect(fx.spool.newestRequest()?.wal.name == Fixture.name(1))
        #expect(try await fx.prefetcher().run() == .idle, "2, 3 and 4 exist: the window is complete, then idle")
        #expect(fx.spool.spooledSegments() == Set([2, 3, 4].map(Fixture.name)))

        // PostgreSQL takes 2 from the spool; a spooled file is byte-identical to the archive's.
        #expect(try await fx.restore(2) == .fromSpool)
        #expect(try fx.dir.read("RECOVERYXLOG") == fx.contents[Fixture.name(2)])
        // A jump to 5 (as after a restart elsewhere): 3 and 4 are behind it and go; 6 is fetched;
        // 7 is missing, the end of the archive.
        guard case .restored = try await fx.restore(5) else { Issue.record("5 was not downloaded"); return }
        #expect(try await fx.prefetcher().run() == .endOfArchive(Fixture.name(7)))
        #expect(fx.spool.spooledSegments() == [Fixture.name(6)])
        #expect(try fx.dir.read("spool/\(FileSystemOps.baseName(of: fx.spool.directory))/\(Fixture.name(6))")
            == fx.contents[Fixture.name(6)])
        #expect(!fx.restorer.prefetcherWanted(after: Fixture.name(4)), "only after the newest request")
    }

    /// Spooled files are not fsynced, so one written before the machine went down may be torn:
    /// only a spool marked with the running kernel's boot id is served from.
    @Test func segmentsFromAnEarlierBootAreRemovedNotServed() async throws {
        let fx = try await Fixture(segments: 1...4)
        defer { fx.dir.remove() }
        let boot = try #require(BootIdentity.current())
        guard case .restored = try await fx.restore(1) else { Issue.record("1 was not downloaded"); return }
        #expect(try await fx.prefetcher().run() == .idle)
        let folder = "spool/\(FileSystemOps.baseName(of: fx.spool.directory))"
        #expect(try fx.dir.read("\(folder)/\(WALSpool.bootMarkFileName)") == Array(boot.utf8))
        #expect(fx.spool.spooledSegments() == Set([2, 3, 4].map(Fixture.name)))

        // The same files, as if the machine had rebooted since: the mark names another boot.
        _ = try fx.dir.write(Array("00000000-0000-0000-0000-000000000000".utf8), to: "\(folder)/\(WALSpool.bootMarkFileName)")
        guard case .restored = try await fx.restore(2) else { Issue.record("2 came from a stale spool"); return }
        #expect(try fx.dir.read("RECOVERYXLOG") == fx.contents[Fixture.name(2)])
        #expect(fx.spool.spooledSegments().isEmpty, "every segment of the earlier boot is removed")

        // A prefetcher of this boot marks the spool again (3 and 4; 5 is past the archive's
        // end), and its files are served.
        #expect(try await fx.prefetcher().run() == .endOfArchive(Fixture.name(5)))
        #expect(try fx.dir.read("\(folder)/\(WALSpool.bootMarkFileName)") == Array(boot.utf8))
        #expect(try await fx.restore(3) == .fromSpool)
        #expect(try fx.dir.read("RECOVERYXLOG") == fx.contents[Fixture.name(3)])
    }

    @Test func aPrefetcherRemovesWhatAnEarlierBootLeftBeforeItWrites() async throws {
        let fx = try await Fixture(segments: 1...3, parallel: 2)
        defer { fx.dir.remove() }
        guard case .restored = try await fx.restore(1) else { Issue.record("1 was not downloaded"); return }
        // A torn leftover of an earlier boot under the very name the window wants next, and no
        // mark: kept, it would look complete and never be fetched again.
        let folder = "spool/\(FileSystemOps.baseName(of: fx.spool.directory))"
        _ = try fx.dir.write([0, 1, 2], to: "\(folder)/\(Fixture.name(2))")
        #expect(try await fx.prefetcher().run() == .idle)
        #expect(try fx.dir.read("\(folder)/\(Fixture.name(2))") == fx.contents[Fixture.name(2)])
        #expect(try await fx.restore(2) == .fromSpool)
    }

    @Test func aSecondPrefetcherEndsAtOnceWhileTheFirstRuns() async throws {
        let fx = try await Fixture(segments: 1...4)
        defer { fx.dir.remove() }
        _ = try await fx.restore(1)
        let first = try fx.prefetcher(idle: .seconds(30))
        let running = Task { await first.run() }
        // The first holds the lock as soon as it runs (it fetches 2 and then idles for 30 s).
        let deadline = ContinuousClock.now + .seconds(30)
        while !SpoolLock.isHeld(in: fx.spool.directory), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(SpoolLock.holder(in: fx.spool.directory) == getpid())
        #expect(try await fx.prefetcher().run() == .alreadyRunning)
        #expect(!fx.restorer.prefetcherWanted(after: Fixture.name(1)), "a call does not start another")
        // Removing the spool folder ends the first one (a test's cleanup, an operator's rm -r).
        try FileManager.default.removeItem(atPath: fx.spool.directory)
        #expect(await running.value == .spoolRemoved)
        #expect(!SpoolLock.isHeld(in: fx.spool.directory))
    }

    @Test func theLockIsExclusiveAndGoesWithItsHolder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(!SpoolLock.isHeld(in: dir.path), "no lock file yet")
        var lock = try SpoolLock.acquire(in: dir.path)
        #expect(lock != nil)
        #expect(SpoolLock.isHeld(in: dir.path))
        #expect(try SpoolLock.acquire(in: dir.path) == nil)
        lock = nil
        #expect(!SpoolLock.isHeld(in: dir.path))
        #expect(try SpoolLock.acquire(in: dir.path) != nil)
    }

    @Test func aFailedFetchEndsThePrefetcherAndTheCallStillRestores() async throws {
        let fx = try await Fixture(segments: 1...3, parallel: 3)
        defer { fx.dir.remove() }
        _ = try await fx.restore(1)
        // 2's archived copy is corrupt: the prefetcher drops it; the call then reports it itself.
        let key = "pg1/wals/0000000100000000/\(Fixture.name(2))"
        let path = fx.dir.path + "/archive/" + key
        var bytes = try fx.dir.read("archive/" + key)
        bytes[100_000] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try await fx.prefetcher().run() == .fetchesFailed)
        #expect(fx.spool.spooledSegments() == [Fixture.name(3)])
        await #expect { try await fx.restore(2) } throws: { ($0 as? WALError)?.kind == .corrupt }
    }
}
