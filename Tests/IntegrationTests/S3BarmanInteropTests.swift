import Foundation
import Testing

/// cloud-wal is a drop-in for barman-cloud 3.19.1: whatever one archives, the other restores
/// byte-identically, for every compression, `.history` and `.partial` files. Same bucket, prefix
/// and server name for both tools, moto in between.
@Suite("barman-cloud interoperability over S3 (moto)", .serialized, .motoServer)
struct S3BarmanInteropTests {
    static let segment = "000000010000000000000004"

    /// Harness check that needs no S3 support of ours: barman → barman, at barman's own keys.
    @Test(arguments: WALFixture.compressions)
    func barmanRoundTripThroughHarness(compression: WALFixture.Compression) async throws {
        let fx = try await S3Fixture.make("bb-\(compression.name)")
        defer { fx.cleanup() }
        let barman = try BarmanCloud(server: fx.moto)
        let content = WALFixture.segmentBytes(Self.segment, seed: 100 + UInt64(compression.name.utf8.count))
        let wal = try fx.writeWAL(Self.segment, content)
        try await barman.checkedArchive(url: fx.url, serverName: S3Fixture.serverName, walPath: wal,
                                        options: compression.flags)
        #expect(try await fx.moto.keys(bucket: fx.bucket) == [fx.key(Self.segment, ext: compression.ext)])
        let dest = try fx.destination()
        let restored = try await barman.restore(url: fx.url, serverName: S3Fixture.serverName,
                                                walName: Self.segment, destination: dest)
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(fileData(dest) == content)
    }

    @Test(arguments: WALFixture.compressions)
    func oursArchivesBarmanRestores(compression: WALFixture.Compression) async throws {
        let fx = try await S3Fixture.make("ob-\(compression.name)")
        defer { fx.cleanup() }
        let barman = try BarmanCloud(server: fx.moto)
        let content = WALFixture.segmentBytes(Self.segment, seed: 200 + UInt64(compression.name.utf8.count))
        let wal = try fx.writeWAL(Self.segment, content)
        let archived = try await fx.archive(wal, compression.flags)
        #expect(archived.status == 0, "cloud-wal-archive \(compression.name): \(archived.stderr)")
        try #require(archived.status == 0)
        #expect(try await fx.moto.keys(bucket: fx.bucket) == [fx.key(Self.segment, ext: compression.ext)])

        let dest = try fx.destination()
        let restored = try await barman.restore(url: fx.url, serverName: S3Fixture.serverName,
                                                walName: Self.segment, destination: dest)
        #expect(restored.status == 0, "barman-cloud-wal-restore of our \(compression.name): \(restored.stderr)")
        #expect(fileData(dest) == content, "barman restored different bytes (\(compression.name))")
    }

    @Test(arguments: WALFixture.compressions)
    func barmanArchivesOursRestores(compression: WALFixture.Compression) async throws {
        let fx = try await S3Fixture.make("bo-\(compression.name)")
        defer { fx.cleanup() }
        let barman = try BarmanCloud(server: fx.moto)
        let content = WALFixture.segmentBytes(Self.segment, seed: 300 + UInt64(compression.name.utf8.count))
        let wal = try fx.writeWAL(Self.segment, content)
        try await barman.checkedArchive(url: fx.url, serverName: S3Fixture.serverName, walPath: wal,
                                        options: compression.flags)

        let dest = try fx.destination()
        let restored = try await fx.restore(Self.segment, to: dest)
        #expect(restored.status == 0, "cloud-wal-restore of barman's \(compression.name): \(restored.stderr)")
        #expect(fileData(dest) == content, "we restored different bytes (\(compression.name))")
    }

    @Test func historyFilesBothWays() async throws {
        let fx = try await S3Fixture.make("hist")
        defer { fx.cleanup() }
        let barman = try BarmanCloud(server: fx.moto)
        let ours = Data("1\t0/5000000\tno recovery target specified\n".utf8)
        let theirs = Data("1\t0/5000000\tno recovery target specified\n2\t0/7000000\tbefore 2026-01-01\n".utf8)
        let oursPath = try fx.writeWAL("00000002.history", ours)
        let theirsPath = try fx.writeWAL("00000003.history", theirs)

        let archived = try await fx.archive(oursPath)
        #expect(archived.status == 0, "\(archived.stderr)")
        try await barman.checkedArchive(url: fx.url, serverName: S3Fixture.serverName, walPath: theirsPath)
        #expect(try await fx.moto.keys(bucket: fx.bucket) == [fx.key("00000002.history"), fx.key("00000003.history")])

        let barmanDest = try fx.destination()
        let byBarman = try await barman.restore(url: fx.url, serverName: S3Fixture.serverName,
                                                walName: "00000002.history", destination: barmanDest)
        #expect(byBarman.status == 0, "\(byBarman.stderr)")
        #expect(fileData(barmanDest) == ours)

        let oursDest = try fx.destination()
        let byUs = try await fx.restore("00000003.history", to: oursDest)
        #expect(byUs.status == 0, "\(byUs.stderr)")
        #expect(fileData(oursDest) == theirs)
    }

    @Test(arguments: [WALFixture.compressions[0], WALFixture.compressions[1], WALFixture.compressions[5]])
    func partialFilesBothWays(compression: WALFixture.Compression) async throws {
        let fx = try await S3Fixture.make("part-\(compression.name)")
        defer { fx.cleanup() }
        let barman = try BarmanCloud(server: fx.moto)
        let oursName = "000000010000000000000007", theirsName = "000000010000000000000008"
        let ours = WALFixture.segmentBytes(oursName + ".partial", seed: 400 + UInt64(compression.name.utf8.count))
        let theirs = WALFixture.segmentBytes(theirsName + ".partial", seed: 500 + UInt64(compression.name.utf8.count))
        let oursPath = try fx.writeWAL(oursName + ".partial", ours)
        let theirsPath = try fx.writeWAL(theirsName + ".partial", theirs)

        let archived = try await fx.archive(oursPath, compression.flags)
        #expect(archived.status == 0, "\(archived.stderr)")
        try await barman.checkedArchive(url: fx.url, serverName: S3Fixture.serverName, walPath: theirsPath,
                                        options: compression.flags)
        #expect(try await fx.moto.keys(bucket: fx.bucket) == [
            fx.key(oursName + ".partial", ext: compression.ext), fx.key(theirsName + ".partial", ext: compression.ext),
        ])

        // Restores ask for the segment name; only the .partial exists.
        let barmanDest = try fx.destination()
        let byBarman = try await barman.restore(url: fx.url, serverName: S3Fixture.serverName,
                                                walName: oursName, destination: barmanDest)
        #expect(byBarman.status == 0, "\(byBarman.stderr)")
        #expect(fileData(barmanDest) == ours)

        let oursDest = try fx.destination()
        let byUs = try await fx.restore(theirsName, to: oursDest)
        #expect(byUs.status == 0, "\(byUs.stderr)")
        #expect(fileData(oursDest) == theirs)
    }
}
