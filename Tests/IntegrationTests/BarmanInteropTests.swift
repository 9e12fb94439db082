import Foundation
import Testing

/// cloud-wal is a drop-in for barman-cloud 3.19.1: whatever one archives, the other restores
/// byte-identically, for every compression, `.history` and `.partial` files. Same bucket, prefix
/// and server name for both tools, on S3 (moto), GCS (fake-gcs-server) and Azure (the Blob fake).
@Suite("barman-cloud interoperability (moto, GCS, Azure)", .serialized, .motoServer, .fakeGCSServer, .azureBlobFake)
struct BarmanInteropTests {
    static let segment = "000000010000000000000004"

    /// Every compression on S3; on GCS and Azure a spread of them (each run starts barman's
    /// Python twice, and the codec paths are the same whatever the store).
    static func compressions(_ backend: StoreBackend) -> [WALFixture.Compression] {
        let all = WALFixture.compressions
        switch backend {
        case .gcs: return [all[0], all[1], all[2], all[5]]  // none, gzip, bzip2, zstd
        case .azure: return [all[0], all[1], all[4], all[5]]  // none, gzip, snappy, zstd
        default: return all
        }
    }

    static let bothWays = BackendCompression.all(StoreBackend.archiveSuites, compressions)
    /// The harness check needs no store of ours; once, on S3, is enough.
    static let harness = BackendCompression.all([.moto], compressions)
    static let partials = BackendCompression.all([.moto]) { _ in
        [WALFixture.compressions[0], WALFixture.compressions[1], WALFixture.compressions[5]]
    }

    /// Harness check that needs no support of ours: barman → barman, at barman's own keys.
    @Test(arguments: harness)
    func barmanRoundTripThroughHarness(_ run: BackendCompression) async throws {
        let (fx, barman, content, wal) = try await prepare(run, "bb", seed: 100)
        defer { fx.cleanup() }
        try await barmanArchivesAtItsKey(run, fx, barman, wal)
        #expect(try await barmanRestores(Self.segment, fx, barman) == content)
    }

    @Test(arguments: bothWays)
    func oursArchivesBarmanRestores(_ run: BackendCompression) async throws {
        let (fx, barman, content, wal) = try await prepare(run, "ob", seed: 200)
        defer { fx.cleanup() }
        let archived = try await fx.archive(wal, run.compression.flags)
        #expect(archived.status == 0, "cloud-wal-archive \(run.compression.name): \(archived.stderr)")
        try #require(archived.status == 0)
        #expect(try await fx.keys() == [fx.key(Self.segment, ext: run.compression.ext)])
        #expect(try await barmanRestores(Self.segment, fx, barman) == content,
                "barman restored different bytes (\(run.compression.name))")
    }

    @Test(arguments: bothWays)
    func barmanArchivesOursRestores(_ run: BackendCompression) async throws {
        let (fx, barman, content, wal) = try await prepare(run, "bo", seed: 300)
        defer { fx.cleanup() }
        try await barmanArchivesAtItsKey(run, fx, barman, wal)
        #expect(try await weRestore(Self.segment, fx) == content, "we restored different bytes (\(run.compression.name))")
    }

    @Test(arguments: StoreBackend.archiveSuites)
    func historyFilesBothWays(_ backend: StoreBackend) async throws {
        let fx = try await ArchiveFixture.make(backend, "hist")
        defer { fx.cleanup() }
        let barman = try BarmanCloud(access: fx.access)
        let ours = Data("1\t0/5000000\tno recovery target specified\n".utf8)
        let theirs = Data("1\t0/5000000\tno recovery target specified\n2\t0/7000000\tbefore 2026-01-01\n".utf8)
        let oursPath = try fx.writeWAL("00000002.history", ours)
        let theirsPath = try fx.writeWAL("00000003.history", theirs)

        let archived = try await fx.archive(oursPath)
        #expect(archived.status == 0, "\(archived.stderr)")
        try await barman.checkedArchive(url: fx.url, serverName: ArchiveFixture.serverName, walPath: theirsPath)
        #expect(try await fx.keys() == [fx.key("00000002.history"), fx.key("00000003.history")])
        #expect(try await barmanRestores("00000002.history", fx, barman) == ours)
        #expect(try await weRestore("00000003.history", fx) == theirs)
    }

    @Test(arguments: partials)
    func partialFilesBothWays(_ run: BackendCompression) async throws {
        let compression = run.compression
        let fx = try await ArchiveFixture.make(run.backend, "part-\(compression.name)")
        defer { fx.cleanup() }
        let barman = try BarmanCloud(access: fx.access)
        let oursName = "000000010000000000000007", theirsName = "000000010000000000000008"
        let ours = WALFixture.segmentBytes(oursName + ".partial", seed: 400 + UInt64(compression.name.utf8.count))
        let theirs = WALFixture.segmentBytes(theirsName + ".partial", seed: 500 + UInt64(compression.name.utf8.count))
        let oursPath = try fx.writeWAL(oursName + ".partial", ours)
        let theirsPath = try fx.writeWAL(theirsName + ".partial", theirs)

        let archived = try await fx.archive(oursPath, compression.flags)
        #expect(archived.status == 0, "\(archived.stderr)")
        try await barman.checkedArchive(url: fx.url, serverName: ArchiveFixture.serverName, walPath: theirsPath,
                                        options: compression.flags)
        #expect(try await fx.keys() == [
            fx.key(oursName + ".partial", ext: compression.ext), fx.key(theirsName + ".partial", ext: compression.ext),
        ])
        // Restores ask for the segment name; only the .partial exists.
        #expect(try await barmanRestores(oursName, fx, barman) == ours)
        #expect(try await weRestore(theirsName, fx) == theirs)
    }

    // MARK: - Helpers

    /// A fixture on `run`'s backend, barman-cloud pointed at it, and segment content for `seed`
    /// (plus the compression, so every case archives different bytes) in its pg_wal.
    private func prepare(_ run: BackendCompression, _ hint: String, seed: UInt64) async throws
        -> (fx: ArchiveFixture, barman: BarmanCloud, content: Data, wal: String)
    {
        let fx = try await ArchiveFixture.make(run.backend, "\(hint)-\(run.compression.name)")
        do {
            let barman = try BarmanCloud(access: fx.access)
            let content = WALFixture.segmentBytes(Self.segment, seed: seed + UInt64(run.compression.name.utf8.count))
            return (fx, barman, content, try fx.writeWAL(Self.segment, content))
        } catch {
            fx.cleanup()
            throw error
        }
    }

    /// barman-cloud-wal-archive of `wal`, which must land at barman's key for the compression.
    private func barmanArchivesAtItsKey(_ run: BackendCompression, _ fx: ArchiveFixture, _ barman: BarmanCloud,
                                        _ wal: String) async throws {
        try await barman.checkedArchive(url: fx.url, serverName: ArchiveFixture.serverName, walPath: wal,
                                        options: run.compression.flags)
        #expect(try await fx.keys() == [fx.key(Self.segment, ext: run.compression.ext)])
    }

    /// What barman-cloud-wal-restore delivers for `name` (its failure is recorded, then nil).
    private func barmanRestores(_ name: String, _ fx: ArchiveFixture, _ barman: BarmanCloud) async throws -> Data? {
        let dest = try fx.destination()
        let restored = try await barman.restore(url: fx.url, serverName: ArchiveFixture.serverName, walName: name,
                                                destination: dest)
        #expect(restored.status == 0, "barman-cloud-wal-restore \(name) on \(fx.backend): \(restored.stderr)")
        return fileData(dest)
    }

    /// What cloud-wal-restore delivers for `name` (its failure is recorded, then nil).
    private func weRestore(_ name: String, _ fx: ArchiveFixture) async throws -> Data? {
        let dest = try fx.destination()
        let restored = try await fx.restore(name, to: dest)
        #expect(restored.status == 0, "cloud-wal-restore \(name) on \(fx.backend): \(restored.stderr)")
        return fileData(dest)
    }
}
