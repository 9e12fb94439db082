import CloudWAL
import Foundation
import Synchronization
import Testing

/// `wal-archive --parallel`: what is pushed ahead, what is recorded, and when a record is trusted.
@Suite("look-ahead archiving")
struct LookAheadArchiverTests {
    static func name(_ segment: Int, timeline: Int = 1) -> String {
        String(format: "%08X%08X%08X", timeline, 0, segment)
    }

    struct Fixture {
        let dir: TemporaryDirectory
        let base: FileSystemStore
        let store: CountingStore
        let layout: ArchiveLayout
        var walDirectory: String { dir.path + "/pg_wal" }
        var statusDirectory: String { walDirectory + "/archive_status" }
        let state: ArchiveStateDirectory

        init(failingPut: String? = nil) throws {
            dir = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: dir.path + "/archive", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                atPath: dir.path + "/pg_wal/archive_status", withIntermediateDirectories: true)
            base = FileSystemStore(root: dir.path + "/archive")
            store = CountingStore(base: base, failingPut: failingPut)
            layout = try ArchiveLayout(prefix: "", serverName: "pg1")
            state = ArchiveStateDirectory(baseDirectory: dir.path + "/state", archiveIdentity: "file:///x pg1")
        }

        func archiver(_ compression: Compression? = nil, parallel: Int = 4) -> LookAheadArchiver {
            let plain = WALArchiver(
                store: store, layout: layout, configuration: .init(compression: compression),
                logger: TestData.quietLogger)
            return LookAheadArchiver(archiver: plain, parallel: parallel, state: state, logger: TestData.quietLogger)
        }

        /// Writes segment `number` into pg_wal (seeded by its number), `.ready` when asked.
        @discardableResult
        func segment(_ name: String, ready: Bool, seed: UInt64? = nil) throws -> [UInt8] {
            let content = TestData.walSegment(name, seed: seed ?? (UInt64(name.suffix(8), radix: 16) ?? 0) + 1)
            _ = try dir.write(content, to: "pg_wal/\(name)")
            if ready { _ = try dir.write([], to: "pg_wal/archive_status/\(name).ready") }
            return content
        }

        func stored() async throws -> [String] {
            try await base.list(prefix: layout.walsPrefix, delimiter: nil).objects.map(\.key).sorted()
        }

        func key(_ name: String, _ compression: Compression? = nil) -> String {
            "pg1/wals/\(name.prefix(16))/\(name)\(compression?.fileExtension ?? "")"
        }

        /// Names with their inode and modification time: "unchanged" means not even touched.
        func statusSnapshot() throws -> [String: String] {
            var snapshot: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: statusDirectory) {
                let attributes = try FileManager.default.attributesOfItem(atPath: "\(statusDirectory)/\(name)")
                snapshot[name] = "\(attributes[.systemFileNumber] ?? 0) \(attributes[.modificationDate] ?? 0)"
            }
            return snapshot
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        var digest = ContentDigest()
        digest.update(bytes)
        return digest.finalize()
    }

    @Test(arguments: [nil, Compression.zstd] as [Compression?])
    func pushesOnlyReadySegmentsAheadAndRecordsThem(compression: Compression?) async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        try fx.segment(Self.name(3), ready: true)
        let four = try fx.segment(Self.name(4), ready: true)
        let five = try fx.segment(Self.name(5), ready: true)
        try fx.segment(Self.name(6), ready: false)  // still being written: no .ready
        let statusBefore = try fx.statusSnapshot()

        let outcome = try await fx.archiver(compression).archive(walPath: "\(fx.walDirectory)/\(Self.name(3))")
        guard case .archived(.archived(let key, _, _)) = outcome else {
            Issue.record("expected the requested segment archived, got \(outcome)")
            return
        }
        #expect(key == fx.key(Self.name(3), compression))
        #expect(try await fx.stored() == [3, 4, 5].map { fx.key(Self.name($0), compression) })
        #expect(fx.state.recordedSegments() == [Self.name(4), Self.name(5)])
        #expect(fx.state.record(for: Self.name(4))?.sha256 == Self.sha256(four))
        #expect(fx.state.record(for: Self.name(5))?.sha256 == Self.sha256(five))
        #expect(fx.state.record(for: Self.name(5))?.key == fx.key(Self.name(5), compression))
        #expect(fx.state.record(for: Self.name(5))?.size == five.count)
        #expect(try fx.statusSnapshot() == statusBefore)
        // The records are private to us.
        let mode = try FileManager.default.attributesOfItem(atPath: fx.state.directory)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test func aRecordedSegmentIsAnsweredWithoutAnyStoreRequest() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        for number in 3...5 { try fx.segment(Self.name(number), ready: true) }
        _ = try await fx.archiver().archive(walPath: "\(fx.walDirectory)/\(Self.name(3))")
        let statusBefore = try fx.statusSnapshot()
        fx.store.reset()

        let outcome = try await fx.archiver().archive(walPath: "\(fx.walDirectory)/\(Self.name(4))")
        #expect(outcome == .storedAhead(key: fx.key(Self.name(4))))
        #expect(fx.store.calls == 0)
        // Consumed: the record is gone, the one for 5 stays for the next call.
        #expect(fx.state.recordedSegments() == [Self.name(5)])
        #expect(try fx.statusSnapshot() == statusBefore)
    }

    @Test func aRecordForOtherContentIsIgnoredAndTheSegmentArchivedNormally() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let content = try fx.segment(Self.name(3), ready: true)
        let wrong = try #require(
            ArchiveStateRecord(
                segment: Self.name(3), sha256: String(repeating: "ab", count: 32), size: content.count,
                key: fx.key(Self.name(3))))
        try fx.state.prepare()
        try fx.state.write(wrong)

        let outcome = try await fx.archiver().archive(walPath: "\(fx.walDirectory)/\(Self.name(3))")
        #expect(outcome == .archived(.archived(key: fx.key(Self.name(3)), size: content.count, storedSize: content.count)))
        #expect(fx.store.calls > 0)
        #expect(try fx.dir.read("archive/\(fx.key(Self.name(3)))") == content)
        #expect(fx.state.record(for: Self.name(3)) == nil)
    }

    @Test func aMalformedRecordIsNoRecord() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let content = try fx.segment(Self.name(3), ready: true)
        try fx.state.prepare()
        let good = try #require(
            ArchiveStateRecord(segment: Self.name(3), sha256: Self.sha256(content), size: content.count, key: "k"))
        // The right digest, but a truncated file (a crash mid-write would never rename it in; any
        // other damage must not be trusted either).
        _ = try fx.dir.write(Array(good.encoded().dropLast(3)), to: "state/\(FileSystemOps.baseName(of: fx.state.directory))/\(Self.name(3))")
        let outcome = try await fx.archiver().archive(walPath: "\(fx.walDirectory)/\(Self.name(3))")
        guard case .archived = outcome else {
            Issue.record("a malformed record was trusted: \(outcome)")
            return
        }
        #expect(try await fx.stored() == [fx.key(Self.name(3))])
        #expect(ArchiveStateRecord(parsing: good.encoded()) == good)
    }

    @Test func onlyLaterFullSegmentsOfTheSameTimelineAreTakenAndAtMostParallelMinusOne() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        try fx.segment(Self.name(2), ready: true)  // older: PostgreSQL's business
        try fx.segment(Self.name(3), ready: true)
        try fx.segment(Self.name(4, timeline: 2), ready: true)
        _ = try fx.dir.write(Array("1\t0/3000000\tno recovery target specified\n".utf8), to: "pg_wal/00000002.history")
        _ = try fx.dir.write([], to: "pg_wal/archive_status/00000002.history.ready")
        _ = try fx.dir.write(TestData.walSegment(Self.name(5)), to: "pg_wal/\(Self.name(5)).partial")
        _ = try fx.dir.write([], to: "pg_wal/archive_status/\(Self.name(5)).partial.ready")
        for number in 6...9 { try fx.segment(Self.name(number), ready: true) }
        _ = try fx.dir.write([], to: "pg_wal/archive_status/\(Self.name(10)).ready")  // .ready, no file

        _ = try await fx.archiver(parallel: 3).archive(walPath: "\(fx.walDirectory)/\(Self.name(3))")
        #expect(try await fx.stored() == [3, 6, 7].map { fx.key(Self.name($0)) })
        #expect(fx.state.recordedSegments() == [Self.name(6), Self.name(7)])

        // A call answered from its record stays local: it pushes nothing more.
        let six = try await fx.archiver(parallel: 4).archive(walPath: "\(fx.walDirectory)/\(Self.name(6))")
        #expect(six == .storedAhead(key: fx.key(Self.name(6))))
        #expect(fx.state.recordedSegments() == [Self.name(7)])
        // A call that archives skips what is recorded and takes the following ones, 10 being absent.
        try fx.state.remove(Self.name(7))
        _ = try await fx.archiver(parallel: 4).archive(walPath: "\(fx.walDirectory)/\(Self.name(7))")
        #expect(try await fx.stored() == [3, 6, 7, 8, 9].map { fx.key(Self.name($0)) })
        #expect(fx.state.recordedSegments() == [Self.name(8), Self.name(9)])
    }

    @Test func aFailedExtraNeverFailsTheCallAndLeavesNoRecord() async throws {
        let fx = try Fixture(failingPut: Self.name(4))
        defer { fx.dir.remove() }
        for number in 3...5 { try fx.segment(Self.name(number), ready: true) }
        _ = try await fx.archiver().archive(walPath: "\(fx.walDirectory)/\(Self.name(3))")
        #expect(try await fx.stored() == [3, 5].map { fx.key(Self.name($0)) })
        #expect(fx.state.recordedSegments() == [Self.name(5)])
    }

    @Test func aFailedRequestedSegmentIsReportedAsWithoutLookAhead() async throws {
        let fx = try Fixture(failingPut: Self.name(3))
        defer { fx.dir.remove() }
        for number in 3...4 { try fx.segment(Self.name(number), ready: true) }
        await #expect {
            _ = try await fx.archiver().archive(walPath: "\(fx.walDirectory)/\(Self.name(3))")
        } throws: { error in
            (error as? WALError)?.kind == .storage(.failed)
        }
        // Whatever became of the extra, a record exists only if its object does.
        for segment in fx.state.recordedSegments() {
            #expect(try await fx.base.head(fx.key(segment)) != nil)
        }
    }

    @Test func staleRecordsAreRemoved() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        try fx.state.prepare()
        for number in 1...2 {
            try fx.state.write(
                try #require(
                    ArchiveStateRecord(
                        segment: Self.name(number), sha256: String(repeating: "0", count: 64), size: 1 << 20, key: "k")))
        }
        try fx.segment(Self.name(3), ready: true)
        _ = try await fx.archiver().archive(walPath: "\(fx.walDirectory)/\(Self.name(3))")
        #expect(fx.state.recordedSegments().isEmpty)
    }

    @Test func aStateDirectoryOthersCanWriteIsRefusedAndOnlyTheRequestedSegmentArchived() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        try FileManager.default.createDirectory(atPath: fx.state.baseDirectory, withIntermediateDirectories: true)
        chmod(fx.state.baseDirectory, 0o777)
        for number in 3...4 { try fx.segment(Self.name(number), ready: true) }
        let outcome = try await fx.archiver().archive(walPath: "\(fx.walDirectory)/\(Self.name(3))")
        guard case .archived = outcome else {
            Issue.record("expected an ordinary archiving, got \(outcome)")
            return
        }
        #expect(try await fx.stored() == [fx.key(Self.name(3))])
        #expect(!FileManager.default.fileExists(atPath: fx.state.directory))
    }

    @Test func aStateDirectoryOfAnotherUserOrASymbolicLinkIsRefused() throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        try fx.state.prepare()
        #expect(throws: Never.self) { try fx.state.prepare() }
        if geteuid() == 0 {
            chown(fx.state.directory, 4242, 4242)
            #expect(throws: WALError.self) { try fx.state.prepare() }
            chown(fx.state.directory, 0, 0)
        }
        let elsewhere = try TemporaryDirectory()
        defer { elsewhere.remove() }
        chmod(elsewhere.path, 0o700)
        let linked = ArchiveStateDirectory(baseDirectory: fx.dir.path + "/link", archiveIdentity: "file:///x pg1")
        try FileManager.default.createSymbolicLink(atPath: fx.dir.path + "/link", withDestinationPath: elsewhere.path)
        #expect(throws: WALError.self) { try linked.prepare() }
    }

    @Test func recordsParseOnlyInTheirExactForm() throws {
        let record = try #require(
            ArchiveStateRecord(
                segment: Self.name(0x3A), sha256: String(repeating: "0a", count: 32), size: 1 << 24, key: "pg1/wals/x"))
        #expect(ArchiveStateRecord(parsing: record.encoded()) == record)
        let text = String(decoding: record.encoded(), as: UTF8.self)
        for damaged in [
            text.replacingOccurrences(of: "0a0a", with: "0A0A"),  // not our lower-case hex
            text.replacingOccurrences(of: "size 16777216", with: "size 016777216"),
            text.replacingOccurrences(of: "size 16777216", with: "size 1000"),  // not a segment size
            text + "extra line\n",
            String(text.dropLast()),  // no final newline: cut short
            text.replacingOccurrences(of: "record 1", with: "record 2"),
            text.replacingOccurrences(of: Self.name(0x3A), with: Self.name(0x3A).lowercased()),
        ] {
            #expect(ArchiveStateRecord(parsing: Array(damaged.utf8)) == nil, "accepted: \(damaged)")
        }
        #expect(ArchiveStateRecord(segment: "00000001.history", sha256: record.sha256, size: 1 << 24, key: "k") == nil)
        #expect(ArchiveStateRecord(segment: Self.name(3), sha256: record.sha256, size: 1 << 24, key: "a\nb") == nil)
    }

    @Test func parallelOneIsThePlainPathAndTouchesNoState() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        for number in 3...4 { try fx.segment(Self.name(number), ready: true) }
        _ = try await fx.archiver(parallel: 1).archive(walPath: "\(fx.walDirectory)/\(Self.name(3))")
        #expect(try await fx.stored() == [fx.key(Self.name(3))])
        #expect(!FileManager.default.fileExists(atPath: fx.state.baseDirectory))
    }
}

/// A file:// store that counts every request and fails puts whose key contains `failingPut`.
final class CountingStore: ObjectStore, Sendable {
    let base: FileSystemStore
    let failingPut: String?
    private let count = Mutex(0)

    init(base: FileSystemStore, failingPut: String?) {
        self.base = base
        self.failingPut = failingPut
    }

    var calls: Int { count.withLock { $0 } }
    func reset() { count.withLock { $0 = 0 } }
    private func counted() { count.withLock { $0 += 1 } }

    private func checkPut(_ key: String) throws {
        if let failingPut, key.contains(failingPut) { throw StorageError(.failed, "injected failure storing \(key)") }
    }

    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome {
        counted()
        try checkPut(key)
        return try await base.put(key, body: body, options: options)
    }
    func putFile(_ key: String, path: String, size: Int, options: PutOptions) async throws -> PutOutcome {
        counted()
        try checkPut(key)
        return try await base.putFile(key, path: path, size: size, options: options)
    }
    func get(_ key: String) async throws -> ObjectDownload {
        counted()
        return try await base.get(key)
    }
    func head(_ key: String) async throws -> ObjectInfo? {
        counted()
        return try await base.head(key)
    }
    func list(prefix: String, delimiter: String?) async throws -> ObjectListing {
        counted()
        return try await base.list(prefix: prefix, delimiter: delimiter)
    }
    func delete(_ key: String) async throws {
        counted()
        try await base.delete(key)
    }
    func beginUpload(_ key: String, partSize: Int, options: PutOptions) async throws -> any ObjectUpload {
        counted()
        return try await base.beginUpload(key, partSize: partSize, options: options)
    }
    func checkBucket() async throws -> BucketStatus {
        counted()
        return try await base.checkBucket()
    }
}
