import Foundation
import Testing

/// A backend and a compression: one case of the command-line round trip.
struct BackendCompression: Sendable, CustomTestStringConvertible {
    let backend: StoreBackend
    let compression: WALFixture.Compression
    var testDescription: String { "\(backend.rawValue), \(compression.name)" }

    static func all(_ backends: [StoreBackend], _ compressions: (StoreBackend) -> [WALFixture.Compression])
        -> [BackendCompression]
    {
        backends.flatMap { backend in compressions(backend).map { BackendCompression(backend: backend, compression: $0) } }
    }
}

/// The archive/restore contract of the command line on S3 (moto), GCS (fake-gcs-server) and
/// Azure (the Blob fake): barman's keys, compression, metadata, tags, duplicates, exit codes.
/// Drives the built binary exactly like archive_command/restore_command.
@Suite("WAL archive and restore (moto, GCS, Azure)", .serialized, .motoServer, .fakeGCSServer, .azureBlobFake)
struct WALArchiveTests {
    static let segment = "000000010000000000000002"
    static let roundTrips = BackendCompression.all(StoreBackend.archiveSuites) { _ in WALFixture.compressions }

    @Test(arguments: roundTrips)
    func roundTripIsByteIdenticalAtBarmansKey(_ run: BackendCompression) async throws {
        let compression = run.compression
        let fx = try await ArchiveFixture.make(run.backend, "rt-\(compression.name)")
        defer { fx.cleanup() }
        let content = WALFixture.segmentBytes(Self.segment, seed: UInt64(compression.name.utf8.count) * 7 + 3)
        let wal = try fx.writeWAL(Self.segment, content)

        let archived = try await fx.archive(wal, compression.flags)
        #expect(archived.status == 0, "archive \(compression.name): \(archived.stderr)")
        try #require(archived.status == 0)

        let key = fx.key(Self.segment, ext: compression.ext)
        #expect(try await fx.keys() == [key], "expected exactly barman's key")
        // Under the backend's legal name (Azure: cloudwal_sha256), read back as cloudwal-sha256.
        #expect(try await fx.metadata(key, "cloudwal-sha256") == (try await sha256Hex(wal)))
        #expect(try await fx.metadata(key, "cloudwal-size") == String(content.count))
        let stored = try #require(try await fx.objectData(key), "no object at \(key)")
        if compression.name == "none" {
            #expect(stored == content)
        } else {
            #expect(stored.count < content.count, "\(compression.name) did not compress")
        }

        let dest = try fx.destination()
        let restored = try await fx.restore(Self.segment, to: dest)
        #expect(restored.status == 0, "restore \(compression.name): \(restored.stderr)")
        #expect(fileData(dest) == content, "restored bytes differ (\(compression.name))")
    }

    /// History files sit directly under wals/; a segment that only exists as .partial is restored
    /// when PostgreSQL asks for the segment; enough objects that the Azure fake's two-entry list
    /// pages are crossed.
    @Test(arguments: StoreBackend.archiveSuites)
    func historyPartialAndMissing(_ backend: StoreBackend) async throws {
        let fx = try await ArchiveFixture.make(backend, "hist")
        defer { fx.cleanup() }
        let history = Data("1\t0/3000000\tno recovery target specified\n".utf8)
        let historyPath = try fx.writeWAL("00000002.history", history)
        let partial = WALFixture.segmentBytes("000000010000000000000003.partial", seed: 42)
        let partialPath = try fx.writeWAL("000000010000000000000003.partial", partial)
        for (path, options) in [(historyPath, []), (partialPath, ["-z"])] {
            let result = try await fx.archive(path, options)
            #expect(result.status == 0, "archive \(path): \(result.stderr)")
        }
        var expected = [fx.key("000000010000000000000003.partial", ext: ".gz"), fx.key("00000002.history")]
        for n in 4...6 {
            let name = "00000001000000000000000\(n)"
            #expect(try await fx.archive(try fx.writeWAL(name, WALFixture.segmentBytes(name, seed: UInt64(n)))).status == 0)
            expected.append(fx.key(name))
        }
        let keys = try await fx.keys()
        #expect(keys == expected.sorted())
        #expect(keys.contains("pfx/sub/pg1/wals/00000002.history"))

        let historyDest = try fx.destination()
        let gotHistory = try await fx.restore("00000002.history", to: historyDest)
        #expect(gotHistory.status == 0, "\(gotHistory.stderr)")
        #expect(fileData(historyDest) == history)

        // PostgreSQL asks for the segment name; only the .partial exists.
        let segmentDest = try fx.destination()
        let gotPartial = try await fx.restore("000000010000000000000003", to: segmentDest)
        #expect(gotPartial.status == 0, "\(gotPartial.stderr)")
        #expect(fileData(segmentDest) == partial)

        // A history file that was never archived: 1 (PostgreSQL probes for these); a segment too.
        let missingHistory = try await fx.restore("00000003.history", to: try fx.destination())
        #expect(missingHistory.status == 1, "\(missingHistory.stderr)")
        let missingSegment = try await fx.restore("000000010000000000000009", to: try fx.destination())
        #expect(missingSegment.status == 1, "\(missingSegment.stderr)")
    }

    /// `--tag` becomes S3 object tags, Azure index tags, GCS blob metadata (as barman-cloud keeps them).
    @Test(arguments: StoreBackend.archiveSuites)
    func tagsAreStoredWhereTheBackendKeepsThem(_ backend: StoreBackend) async throws {
        let fx = try await ArchiveFixture.make(backend, "tags")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 5))
        let result = try await fx.archive(wal, ["--tag", "env,ci", "--tag", "team, db ops", "--zstd"])
        #expect(result.status == 0, "\(result.stderr)")
        try #require(result.status == 0)
        #expect(try await fx.tags(fx.key(Self.segment, ext: ".zst")) == ["env": "ci", "team": "db ops"])

        let historyPath = try fx.writeWAL("00000002.history", Data("1\t0/3000000\tno recovery target specified\n".utf8))
        let history = try await fx.archive(historyPath, ["--tag", "env,ci"])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(try await fx.tags(fx.key("00000002.history"))["env"] == "ci")
    }

    @Test(arguments: StoreBackend.archiveSuites)
    func connectivityTestExitCodes(_ backend: StoreBackend) async throws {
        let fx = try await ArchiveFixture.make(backend, "conn")
        defer { fx.cleanup() }
        let down = try fx.unreachableAccess()
        for tool in ["cloud-wal-archive", "cloud-wal-restore"] {
            let ok = try await fx.connectivityTest(tool)
            #expect(ok.status == 0, "\(tool) -t existing bucket: \(ok.stderr)")
            let missing = try await fx.connectivityTest(tool, access: fx.absentBucketAccess())
            #expect(missing.status == 1, "\(tool) -t missing bucket: \(missing.stderr)")
            let unreachable = try await fx.connectivityTest(tool, access: down)
            #expect(unreachable.status == 2, "\(tool) -t closed port: \(unreachable.stderr)")
        }
    }

    @Test(arguments: StoreBackend.archiveSuites)
    func sameContentAgainIsOKWithWarningDifferentContentIsRefused(_ backend: StoreBackend) async throws {
        let fx = try await ArchiveFixture.make(backend, "dup")
        defer { fx.cleanup() }
        let original = WALFixture.segmentBytes(Self.segment, seed: 11)
        let wal = try fx.writeWAL(Self.segment, original)
        let first = try await fx.archive(wal)
        #expect(first.status == 0, "\(first.stderr)")
        try #require(first.status == 0)

        let again = try await fx.archive(wal)
        #expect(again.status == 0, "same content again: \(again.stderr)")
        #expect(again.stderr.contains("WARNING"), "no WARNING for an already archived segment: \(again.stderr)")

        let before = try #require(try await fx.version(fx.key(Self.segment)))
        try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 12))
        let different = try await fx.archive(wal)
        #expect(different.status == 1, "different content: \(different.stderr)")
        #expect(!different.stderr.isEmpty)
        #expect(try await fx.objectData(fx.key(Self.segment)) == original, "the archived object was changed")
        #expect(try await fx.version(fx.key(Self.segment)) == before, "the archived object was written again")

        // The same rule holds when the first copy was compressed: the content is what counts.
        let zwal = try fx.writeWAL("000000010000000000000005", WALFixture.segmentBytes("000000010000000000000005", seed: 13))
        #expect(try await fx.archive(zwal, ["-z"]).status == 0)
        let zkey = fx.key("000000010000000000000005", ext: ".gz")
        let stored = try await fx.objectData(zkey)
        try fx.writeWAL("000000010000000000000005", WALFixture.segmentBytes("000000010000000000000005", seed: 14))
        let zdifferent = try await fx.archive(zwal, ["-z"])
        #expect(zdifferent.status == 1, "different content, gzip: \(zdifferent.stderr)")
        #expect(try await fx.objectData(zkey) == stored)
    }

    @Test(arguments: StoreBackend.archiveSuites)
    func archiveFailuresExitOneOrTwo(_ backend: StoreBackend) async throws {
        let fx = try await ArchiveFixture.make(backend, "afail")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 21))

        let missingFile = try await fx.archive(fx.dir.path + "/pg_wal/000000010000000000000009")
        #expect(missingFile.status == 1, "missing file: \(missingFile.stderr)")

        let noBucket = try await fx.archive(wal, access: fx.absentBucketAccess())
        #expect(noBucket.status == 1, "no such bucket: \(noBucket.stderr)")

        let down = try await fx.archive(wal, access: try fx.unreachableAccess())
        #expect(down.status == 2, "closed port: \(down.stderr)")
        #expect(try await fx.keys().isEmpty)
    }

    @Test(arguments: StoreBackend.archiveSuites)
    func restoreOfMissingSegmentExitsOneAndDeadEndpointTwo(_ backend: StoreBackend) async throws {
        let fx = try await ArchiveFixture.make(backend, "rfail")
        defer { fx.cleanup() }
        let dest = try fx.destination()
        let missing = try await fx.restore(Self.segment, to: dest)
        #expect(missing.status == 1, "missing segment: \(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dest), "a failed restore left \(dest)")

        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 22))
        try await fx.checkedArchive(wal)
        let down = try await fx.restore(Self.segment, to: dest, access: try fx.unreachableAccess())
        #expect(down.status == 2, "closed port: \(down.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dest))
    }
}
