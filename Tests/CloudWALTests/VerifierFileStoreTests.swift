import CloudWAL
import Foundation
import Testing

/// The whole `Verifier` on a `file://` store holding synthesized backups and WAL (1 MiB segments
/// with valid page headers): clean, then each kind of damage, each reported.
@Suite("verify: a file:// archive end to end")
struct VerifierFileStoreTests {
    static let segmentSize = 1 << 20
    static let ours = "20261201T120000"
    static let barmans = "20261201T130000"

    struct Archive {
        let dir: TemporaryDirectory
        let store: FileSystemStore
        let layout: ArchiveLayout

        var verifier: Verifier { Verifier(store: store, layout: layout, logger: TestData.quietLogger) }

        func verify(_ selection: VerifyRequest.Selection = .all) async throws -> VerifyReport {
            try await verifier.verify(try VerifyRequest(selection: selection, jobs: 3))
        }

        func path(_ key: String) -> String { dir.path + "/archive/" + key }

        func segmentKey(_ number: UInt32, ext: String = "") -> String {
            "pg1/wals/0000000100000000/" + Archive.name(number) + ext
        }

        static func name(_ number: UInt32) -> String {
            let digits = String(number, radix: 16, uppercase: true)
            return "0000000100000000" + String(repeating: "0", count: 8 - digits.count) + digits
        }

        func put(_ key: String, _ bytes: [UInt8], metadata: [String: String] = [:]) async throws {
            _ = try await store.put(key, body: bytes, options: PutOptions(metadata: metadata))
        }
    }

    /// Backup `ours` (manifest, two parts, one gzip) needs segments 2-3; `barmans` (no manifest,
    /// an empty but valid tar) needs 4; segments 2-6 are archived, 5 gzip, 5-6 without checksums.
    static func makeArchive() async throws -> Archive {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path + "/archive", withIntermediateDirectories: true)
        let archive = Archive(dir: dir, store: FileSystemStore(root: dir.path + "/archive"), layout: try ArchiveLayout(prefix: "", serverName: "pg1"))

        let first = TestData.segment(size: 300_000, seed: 5)
        let second = TestData.segment(size: 200_000, seed: 6)
        let secondStored = try Compression.compress(second, with: .gzip)
        try await archive.put(archive.layout.backupPrefix(ours) + "data.tar", first)
        try await archive.put(archive.layout.backupPrefix(ours) + "data_0001.tar.gz", secondStored)
        func sha(_ bytes: [UInt8]) -> String {
            var digest = ContentDigest()
            digest.update(bytes)
            return digest.finalize()
        }
        let manifest = BackupManifest(files: [
            .init(key: "data.tar", sha256: sha(first), tarBytes: first.count, storedBytes: first.count),
            .init(key: "data_0001.tar.gz", sha256: sha(second), tarBytes: second.count, storedBytes: secondStored.count),
        ])
        try await archive.put(archive.layout.backupPrefix(ours) + BackupManifest.fileName, Array(manifest.json.utf8))
        try await archive.put(archive.layout.backupInfoKey(ours), try info(ours, begin: 2, end: 3).bytes)

        try await archive.put(archive.layout.backupPrefix(barmans) + "data.tar", [UInt8](repeating: 0, count: 1024))
        try await archive.put(archive.layout.backupInfoKey(barmans), try info(barmans, begin: 4, end: 4).bytes)

        for number: UInt32 in 2...6 {
            let bytes = TestData.walSegment(Archive.name(number), size: segmentSize, seed: UInt64(number))
            if number >= 5 {
                let stored = number == 5 ? try Compression.compress(bytes, with: .gzip) : bytes
                try await archive.put(archive.segmentKey(number, ext: number == 5 ? ".gz" : ""), stored)
            } else {
                try await archive.put(archive.segmentKey(number), bytes, metadata: [
                    ObjectMetadataKey.sha256: sha(bytes), ObjectMetadataKey.size: String(bytes.count),
                ])
            }
        }
        return archive
    }

    static func info(_ id: String, begin: UInt32, end: UInt32) throws -> BackupInfo {
        let text = """
            backup_id=\(id)
            status=DONE
            timeline=1
            begin_wal=\(Archive.name(begin))
            end_wal=\(Archive.name(end))
            begin_xlog=0/\(String(UInt64(begin) * UInt64(segmentSize) + 40, radix: 16, uppercase: true))
            xlog_segment_size=\(segmentSize)
            systemid=\(TestData.systemIdentifier)
            """
        return try BackupInfo(backupID: id, text: text)
    }

    @Test func aGoodArchiveVerifiesWithWarningsOnly() async throws {
        let archive = try await Self.makeArchive()
        defer { archive.dir.remove() }
        let report = try await archive.verify()
        #expect(report.failures.isEmpty, "\(report.failures.map(\.message))")
        #expect(report.exitStatus == 0)
        #expect(report.backupIDs == [Self.ours, Self.barmans])
        #expect(report.totals.backupsChecked == 2 && report.totals.segmentsChecked == 5)
        #expect(Set(report.warnings.map(\.check)) == [.backupUnchecksummed, .walUnchecksummed])
        #expect(report.warnings.first { $0.check == .walUnchecksummed }?.message.hasPrefix("2 segments") == true)
        #expect(report.totals.bytesRead > 5 * Int64(Self.segmentSize) / 2)

        // The default is the latest backup, and the WAL from it on.
        let latest = try await archive.verify(.byDefault)
        #expect(latest.backupIDs == [Self.barmans] && latest.totals.segmentsChecked == 3)
        #expect(latest.exitStatus == 0)
    }

    @Test func eachKindOfDamageIsReported() async throws {
        let archive = try await Self.makeArchive()
        defer { archive.dir.remove() }
        // A segment in the middle gone, one stored again under a second compression, a tar byte flipped.
        try await archive.store.delete(archive.segmentKey(3))
        let four = try [UInt8](Data(contentsOf: URL(fileURLWithPath: archive.path(archive.segmentKey(4)))))
        try await archive.put(archive.segmentKey(4, ext: ".zst"), try Compression.compress(four, with: .zstd))
        let tarPath = archive.path(archive.layout.backupPrefix(Self.ours) + "data.tar")
        var tar = try [UInt8](Data(contentsOf: URL(fileURLWithPath: tarPath)))
        tar[1000] ^= 0xFF
        try Data(tar).write(to: URL(fileURLWithPath: tarPath))

        let report = try await archive.verify()
        #expect(report.exitStatus == 1)
        let failures = report.failures
        #expect(failures.contains { $0.check == .walGap && $0.message == "WAL missing: 000000010000000000000003" })
        #expect(failures.contains { $0.check == .backupWAL && $0.subject == .backup(Self.ours) && $0.message.contains("000000010000000000000003") })
        #expect(failures.contains { $0.check == .walDuplicate && $0.message.contains("stored 2 times") && $0.message.hasSuffix("same content") })
        #expect(failures.contains { $0.check == .backupContent && $0.subject == .backup(Self.ours) && $0.message.contains("SHA-256") })
        #expect(!report.isRestorable(Self.ours))
        #expect(failures.count == 4, "\(failures.map(\.message))")
    }

    @Test func aCorruptSegmentAndAMissingPartFail() async throws {
        let archive = try await Self.makeArchive()
        defer { archive.dir.remove() }
        try await archive.store.delete(archive.layout.backupPrefix(Self.ours) + "data_0001.tar.gz")
        // Segment 6 carries no checksum: its header must catch a wrong system identifier.
        try await archive.store.delete(archive.segmentKey(6))
        try await archive.put(archive.segmentKey(6), TestData.walSegment(Archive.name(6), size: Self.segmentSize, systemIdentifier: 99))
        let report = try await archive.verify()
        #expect(report.failures.map(\.message).sorted() == [
            "data_0001.tar.gz is in the manifest but not in the store",
            "pg1/wals/0000000100000000/000000010000000000000006 was written by system 99, not by the backups' system \(TestData.systemIdentifier)",
        ])
    }

    @Test func badInputIsAnInputError() async throws {
        let archive = try await Self.makeArchive()
        defer { archive.dir.remove() }
        let unknown = await #expect(throws: (any Error).self) { try await archive.verify(.backup("20200101T000000")) }
        #expect(unknown.map { FailureCategory(of: $0) } == .input)
        let both = #expect(throws: (any Error).self) { try VerifyRequest(backupID: "latest", all: true) }
        #expect(both.map { FailureCategory(of: $0) } == .input)
        let noJobs = #expect(throws: (any Error).self) { try VerifyRequest(selection: .all, jobs: 0) }
        #expect(noJobs.map { FailureCategory(of: $0) } == .input)
    }

    @Test func exitStatusesComeFromTheOneMapping() {
        let cases: [(any Error, Int32)] = [
            (StorageError(.unreachable, "cannot reach"), 2),
            (StorageError(.accessDenied, "denied"), 2),
            (BackupError(.invalidInput, "bad id"), 3),
            (StorageError(.failed, "500"), 1),
            (BackupError(.corrupt, "bad"), 1),
        ]
        for (error, status) in cases {
            #expect(ExitStatusPolicy.code(for: error, command: .verify, inTargetedRecovery: false) == status, "\(error)")
        }
    }
}
