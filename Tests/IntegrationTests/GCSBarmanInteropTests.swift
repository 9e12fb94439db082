import Foundation
import Testing

/// cloud-wal and barman-cloud 3.19.1 share a GCS archive: whatever one archives, the other
/// restores byte-identically. Same bucket, prefix and server name, fake-gcs-server in between.
@Suite("barman-cloud interoperability over GCS (fake-gcs-server)", .serialized, .fakeGCSServer)
struct GCSBarmanInteropTests {
    static let segment = "000000010000000000000004"
    /// none, gzip, bzip2, zstd.
    static let compressions = [
        WALFixture.compressions[0], WALFixture.compressions[1], WALFixture.compressions[2], WALFixture.compressions[5],
    ]

    @Test(arguments: compressions)
    func oursArchivesBarmanRestores(compression: WALFixture.Compression) async throws {
        let fx = try await GCSFixture.make("ob-\(compression.name)")
        defer { fx.cleanup() }
        let barman = try GCSBarmanCloud(server: fx.gcs)
        let content = WALFixture.segmentBytes(Self.segment, seed: 200 + UInt64(compression.name.utf8.count))
        let wal = try fx.writeWAL(Self.segment, content)
        let archived = try await fx.archive(wal, compression.flags)
        #expect(archived.status == 0, "cloud-wal-archive \(compression.name): \(archived.stderr)")
        try #require(archived.status == 0)
        #expect(try await fx.gcs.keys(bucket: fx.bucket) == [fx.key(Self.segment, ext: compression.ext)])

        let dest = try fx.destination()
        let restored = try await barman.restore(url: fx.url, serverName: GCSFixture.serverName,
                                                walName: Self.segment, destination: dest)
        #expect(restored.status == 0, "barman-cloud-wal-restore of our \(compression.name): \(restored.stderr)")
        #expect(fileData(dest) == content, "barman restored different bytes (\(compression.name))")
    }

    @Test(arguments: compressions)
    func barmanArchivesOursRestores(compression: WALFixture.Compression) async throws {
        let fx = try await GCSFixture.make("bo-\(compression.name)")
        defer { fx.cleanup() }
        let barman = try GCSBarmanCloud(server: fx.gcs)
        let content = WALFixture.segmentBytes(Self.segment, seed: 300 + UInt64(compression.name.utf8.count))
        let wal = try fx.writeWAL(Self.segment, content)
        try await barman.checkedArchive(url: fx.url, serverName: GCSFixture.serverName, walPath: wal,
                                        options: compression.flags)
        #expect(try await fx.gcs.keys(bucket: fx.bucket) == [fx.key(Self.segment, ext: compression.ext)])

        let dest = try fx.destination()
        let restored = try await fx.restore(Self.segment, to: dest)
        #expect(restored.status == 0, "cloud-wal-restore of barman's \(compression.name): \(restored.stderr)")
        #expect(fileData(dest) == content, "we restored different bytes (\(compression.name))")
    }

    @Test func historyFilesBothWays() async throws {
        let fx = try await GCSFixture.make("hist")
        defer { fx.cleanup() }
        let barman = try GCSBarmanCloud(server: fx.gcs)
        let ours = Data("1\t0/5000000\tno recovery target specified\n".utf8)
        let theirs = Data("1\t0/5000000\tno recovery target specified\n2\t0/7000000\tbefore 2026-01-01\n".utf8)
        let oursPath = try fx.writeWAL("00000002.history", ours)
        let theirsPath = try fx.writeWAL("00000003.history", theirs)

        let archived = try await fx.archive(oursPath)
        #expect(archived.status == 0, "\(archived.stderr)")
        try await barman.checkedArchive(url: fx.url, serverName: GCSFixture.serverName, walPath: theirsPath)
        #expect(try await fx.gcs.keys(bucket: fx.bucket) == [fx.key("00000002.history"), fx.key("00000003.history")])

        let barmanDest = try fx.destination()
        let byBarman = try await barman.restore(url: fx.url, serverName: GCSFixture.serverName,
                                                walName: "00000002.history", destination: barmanDest)
        #expect(byBarman.status == 0, "\(byBarman.stderr)")
        #expect(fileData(barmanDest) == ours)

        let oursDest = try fx.destination()
        let byUs = try await fx.restore("00000003.history", to: oursDest)
        #expect(byUs.status == 0, "\(byUs.stderr)")
        #expect(fileData(oursDest) == theirs)
    }
}
