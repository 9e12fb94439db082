import CloudWAL
import Foundation
import Synchronization
import Testing

/// `backup-delete` through the library on a file:// archive: which backups go, exactly which WAL
/// goes with them, and what must never go.
@Suite("backup-delete and WAL cleanup")
struct BackupDeletionTests {
    static let b1 = "20250101T000000"
    static let b2 = "20250102T000000"
    static let b3 = "20250103T000000"
    static let history = "00000002.history"

    static func label(_ segment: String) -> String { segment + ".00000028.backup" }
    static func seg(_ log: UInt32, _ segment: UInt32, timeline: UInt32 = 1) -> String {
        CatalogFixture.hex(timeline) + CatalogFixture.hex(log) + CatalogFixture.hex(segment)
    }

    /// Three backups on timeline 1, each in its own hash directory, WAL before, inside and after each:
    /// log 0 segments 1-5 (B1 = 2...3), log 1 segments 0-5 (B2 = 2...3), log 2 segments 0-3 (B3 = 1...2),
    /// a `.backup` label per backup, a `.partial`, and a `.history` file.
    static func threeBackups() async throws -> CatalogFixture {
        let fx = try CatalogFixture()
        try await fx.addWAL(
            CatalogFixture.segments(timeline: 1, log: 0, 1...5) + CatalogFixture.segments(timeline: 1, log: 1, 0...5)
                + CatalogFixture.segments(timeline: 1, log: 2, 0...3)
                + [label(seg(0, 2)), label(seg(1, 2)), label(seg(2, 1)), seg(2, 4) + ".partial", history])
        try await fx.addBackup(b1, begin: seg(0, 2), end: seg(0, 3), endTime: .daysFromNow(-20))
        try await fx.addBackup(b2, begin: seg(1, 2), end: seg(1, 3), endTime: .daysFromNow(-10))
        try await fx.addBackup(b3, begin: seg(2, 1), end: seg(2, 2), endTime: .daysFromNow(-1))
        return fx
    }

    static var allWAL: Set<String> {
        Set(
            CatalogFixture.segments(timeline: 1, log: 0, 1...5) + CatalogFixture.segments(timeline: 1, log: 1, 0...5)
                + CatalogFixture.segments(timeline: 1, log: 2, 0...3)
                + [label(seg(0, 2)), label(seg(1, 2)), label(seg(2, 1)), seg(2, 4) + ".partial", history])
    }

    func backupObjects(_ fx: CatalogFixture, _ id: String) async throws -> Set<String> {
        try await fx.keys().filter { $0.hasPrefix(fx.layout.backupPrefix(id)) }
    }

    // MARK: - By id

    @Test func deletingTheOldestRemovesItsObjectsAndTheWALBeforeTheNextBackup() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        let deleted = try await fx.deletion().deleteBackup(Self.b1, minimumRedundancy: 0)
        #expect(deleted == [Self.b1])
        #expect(try await backupObjects(fx, Self.b1).isEmpty)
        #expect(try await backupObjects(fx, Self.b2).count == 3)
        // Log 0 goes whole; in log 1 only what precedes B2's begin_wal; .history always stays.
        let gone = Set(CatalogFixture.segments(timeline: 1, log: 0, 1...5) + [Self.label(Self.seg(0, 2))])
            .union([Self.seg(1, 0), Self.seg(1, 1)])
        #expect(try await fx.walNames() == Self.allWAL.subtracting(gone))
        let catalog = try await CatalogSnapshot.load(fx.catalog)
        #expect(catalog.backups.map(\.backupID) == [Self.b2, Self.b3])
    }

    @Test func deletingABackupWithAnOlderOneKeepsEveryWAL() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        try await fx.deletion().deleteBackup(Self.b2, minimumRedundancy: 0)
        #expect(try await backupObjects(fx, Self.b2).isEmpty)
        #expect(try await fx.walNames() == Self.allWAL)
    }

    @Test func shortcutsAndNamesResolveAsBarmanCloudDoes() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        try await fx.addBackup("20250104T000000", begin: nil, end: nil, endTime: nil, status: .failed, name: "broken")
        try await fx.addBackup("20250105T000000", begin: nil, end: nil, endTime: nil, status: .started)
        let catalog = try await CatalogSnapshot.load(fx.catalog)
        // latest skips only STARTED backups: a FAILED one can be the latest.
        #expect(try catalog.resolveID("latest", serverName: "pg1") == "20250104T000000")
        #expect(try catalog.resolveID("oldest", serverName: "pg1") == Self.b1)
        #expect(try catalog.resolveID("last-failed", serverName: "pg1") == "20250104T000000")
        #expect(try catalog.resolveID("broken", serverName: "pg1") == "20250104T000000")
        #expect(try catalog.resolveID("20991231T000000", serverName: "pg1") == "20991231T000000")
        #expect(throws: BackupError.self) { try catalog.resolveID("nosuchname", serverName: "pg1") }
    }

    @Test func anIdThatNamesNoBackupDeletesNothingAndIsNoError() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        let before = try await fx.keys()
        #expect(try await fx.deletion().deleteBackup("20991231T000000", minimumRedundancy: 0).isEmpty)
        #expect(try await fx.keys() == before)
        let unknown = await #expect(throws: BackupError.self) {
            try await fx.deletion().deleteBackup("no-such-name", minimumRedundancy: 0)
        }
        #expect(unknown?.kind == .notFound)
    }

    @Test func aKeptBackupIsRefusedAndNothingIsDeleted() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        try await KeepAnnotations(store: fx.store, layout: fx.layout).keep(Self.b1, target: .full)
        let before = try await fx.keys()
        let refusal = await #expect(throws: BackupError.self) {
            try await fx.deletion().deleteBackup(Self.b1, minimumRedundancy: 0)
        }
        #expect(refusal?.kind == .refused)
        #expect(try await fx.keys() == before)
    }

    @Test func minimumRedundancyRefusesADeleteThatWouldGoBelowIt() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        let refusal = await #expect(throws: BackupError.self) {
            try await fx.deletion().deleteBackup(Self.b1, minimumRedundancy: 3)
        }
        #expect(refusal?.kind == .refused)
        #expect(refusal?.message.contains("current redundancy = 3") == true)
        #expect(try await backupObjects(fx, Self.b1).count == 3)
        #expect(try await fx.deletion().deleteBackup(Self.b1, minimumRedundancy: 2) == [Self.b1])
    }

    @Test func anUnreadableBackupInfoStopsEveryDeletion() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        _ = try await fx.store.put(
            fx.layout.backupInfoKey("20250109T000000"), body: Array("status=BOGUS\n".utf8), options: PutOptions())
        let before = try await fx.keys()
        let refusal = await #expect(throws: BackupError.self) {
            try await fx.deletion().applyRetention(.redundancy(1), minimumRedundancy: 0, now: .now())
        }
        #expect(refusal?.kind == .refused)
        #expect(refusal?.message.contains("20250109T000000") == true)
        #expect(try await fx.keys() == before)
    }

    // MARK: - Retention

    @Test func redundancyDeletesOldestFirstAndTrimsWALAfterEach() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        let deleted = try await fx.deletion().applyRetention(.redundancy(1), minimumRedundancy: 0, now: .now())
        #expect(deleted == [Self.b1, Self.b2])
        #expect(try await CatalogSnapshot.load(fx.catalog).backups.map(\.backupID) == [Self.b3])
        // Everything before B3's begin_wal is gone except .history; B3's own WAL and later stay.
        #expect(try await fx.walNames() == [
            Self.seg(2, 1), Self.seg(2, 2), Self.seg(2, 3), Self.label(Self.seg(2, 1)), Self.seg(2, 4) + ".partial",
            Self.history,
        ])
    }

    @Test func redundancyZeroDeletesEverythingButTheLastBackupsWAL() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        let deleted = try await fx.deletion().applyRetention(.redundancy(0), minimumRedundancy: 0, now: .now())
        #expect(deleted == [Self.b1, Self.b2, Self.b3])
        #expect(try await fx.keys().allSatisfy { !$0.hasPrefix(fx.layout.basePrefix) })
        // With no backup left, WAL goes only up to the deleted newest backup's begin_wal: a
        // concurrent backup may be relying on what follows.
        #expect(try await fx.walNames() == [
            Self.seg(2, 1), Self.seg(2, 2), Self.seg(2, 3), Self.label(Self.seg(2, 1)), Self.seg(2, 4) + ".partial",
            Self.history,
        ])
    }

    @Test func recoveryWindowDeletesOnlyBackupsBeforeTheOneThatStartsTheWindow() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        // 5 days: B3 (1 day) is inside, B2 (10 days) starts the window, B1 (20 days) goes.
        let deleted = try await fx.deletion().applyRetention(.recoveryWindow(5, .days), minimumRedundancy: 0, now: .now())
        #expect(deleted == [Self.b1])
        #expect(try await fx.walNames().contains(Self.seg(1, 2)))
        #expect(try await !fx.walNames().contains(Self.seg(1, 1)))
        // 30 days reaches B1: nothing to do.
        #expect(try await fx.deletion().applyRetention(.recoveryWindow(30, .days), minimumRedundancy: 0, now: .now()).isEmpty)
    }

    @Test func minimumRedundancyHoldsBackBackupsOutsideTheWindow() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        let deleted = try await fx.deletion().applyRetention(.recoveryWindow(2, .days), minimumRedundancy: 3, now: .now())
        #expect(deleted.isEmpty)
        #expect(try await CatalogSnapshot.load(fx.catalog).backups.count == 3)
    }

    @Test func aStandaloneBackupKeepsItsOwnWALWhenRetentionDeletesAroundIt() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        try await KeepAnnotations(store: fx.store, layout: fx.layout).keep(Self.b1, target: .standalone)
        let deleted = try await fx.deletion().applyRetention(.redundancy(1), minimumRedundancy: 0, now: .now())
        #expect(deleted == [Self.b2])
        #expect(try await backupObjects(fx, Self.b1).count == 4)  // tars, backup.info, annotation
        // B1's begin...end (and its .backup label) stay; everything else before B3 goes.
        #expect(try await fx.walNames() == [
            Self.seg(0, 2), Self.seg(0, 3), Self.label(Self.seg(0, 2)),
            Self.seg(2, 1), Self.seg(2, 2), Self.seg(2, 3), Self.label(Self.seg(2, 1)), Self.seg(2, 4) + ".partial",
            Self.history,
        ])
    }

    @Test func deletingByIdNextToAStandaloneBackupLeavesWALAlone() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        try await KeepAnnotations(store: fx.store, layout: fx.layout).keep(Self.b1, target: .standalone)
        try await fx.deletion().deleteBackup(Self.b2, minimumRedundancy: 0)
        #expect(try await backupObjects(fx, Self.b2).isEmpty)
        #expect(try await fx.walNames() == Self.allWAL)
    }

    @Test func aFullKeepProtectsEveryLaterWAL() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        try await KeepAnnotations(store: fx.store, layout: fx.layout).keep(Self.b1, target: .full)
        #expect(try await fx.deletion().applyRetention(.redundancy(1), minimumRedundancy: 0, now: .now()) == [Self.b2])
        #expect(try await fx.walNames() == Self.allWAL)
    }

    @Test func walOnAnotherBackupsTimelineIsProtectedUntilThatTimelineIsReached() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        let timeline2 = (1...5).map { Self.seg(2, $0, timeline: 2) }
        try await fx.addWAL(timeline2)
        try await fx.addBackup(
            "20250104T000000", begin: Self.seg(2, 3, timeline: 2), end: Self.seg(2, 4, timeline: 2),
            endTime: .daysFromNow(-0.5))
        // Deleting B1 trims timeline 1 only: timeline 2 has a backup of its own.
        try await fx.deletion().deleteBackup(Self.b1, minimumRedundancy: 0)
        #expect(try await fx.walNames().isSuperset(of: timeline2))
        #expect(try await !fx.walNames().contains(Self.seg(0, 5)))
        // Retention leaves the timeline-2 backup. Deleting B3, whose successor is on timeline 2,
        // removes timeline 2's WAL before that backup but keeps B3's own timeline, as barman-cloud
        // 3.19.1 does (it protects the deleted backup's timeline too).
        #expect(try await fx.deletion().applyRetention(.redundancy(1), minimumRedundancy: 0, now: .now()) == [Self.b2, Self.b3])
        #expect(try await fx.walNames() == Set([
            Self.seg(2, 1), Self.seg(2, 2), Self.seg(2, 3), Self.label(Self.seg(2, 1)), Self.seg(2, 4) + ".partial",
            Self.seg(2, 3, timeline: 2), Self.seg(2, 4, timeline: 2), Self.seg(2, 5, timeline: 2), Self.history,
        ]))
    }

    @Test func everyCompressedFormOfAnUnneededWALGoes() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        try await fx.addWAL([Self.seg(1, 1)], compression: .gzip)
        try await fx.addWAL([Self.seg(1, 2)], compression: .zstd)
        try await fx.deletion().deleteBackup(Self.b1, minimumRedundancy: 0)
        let keys = try await fx.keys()
        #expect(!keys.contains(fx.walKey(Self.seg(1, 1)) + ".gz"))
        #expect(!keys.contains(fx.walKey(Self.seg(1, 1))))
        #expect(keys.contains(fx.walKey(Self.seg(1, 2)) + ".zst"))
    }

    // MARK: - Dry run and crash safety

    @Test func aDryRunReportsWhatARealRunDeletesAndDeletesNothing() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        let before = try await fx.keys()
        let lines = Mutex<[String]>([])
        let deleted = try await fx.deletion(dryRun: true) { line in lines.withLock { $0.append(line) } }
            .applyRetention(.redundancy(1), minimumRedundancy: 0, now: .now())
        #expect(deleted == [Self.b1, Self.b2])
        #expect(try await fx.keys() == before)
        let output = lines.withLock { $0 }
        #expect(output == [
            "Skipping deletion of objects ['pg1/base/\(Self.b1)/data.tar.gz', 'pg1/base/\(Self.b1)/16385.tar.gz', "
                + "'pg1/base/\(Self.b1)/backup.info'] due to --dry-run option",
            "Skipping deletion of all objects under prefix pg1/wals/0000000100000000/ due to --dry-run option",
            "Skipping deletion of objects ['pg1/wals/0000000100000001/\(Self.seg(1, 0))', "
                + "'pg1/wals/0000000100000001/\(Self.seg(1, 1))'] due to --dry-run option",
            "Skipping deletion of objects ['pg1/base/\(Self.b2)/data.tar.gz', 'pg1/base/\(Self.b2)/16385.tar.gz', "
                + "'pg1/base/\(Self.b2)/backup.info'] due to --dry-run option",
            // Nothing left the store, so the first directory is still there to report (as barman does).
            "Skipping deletion of all objects under prefix pg1/wals/0000000100000000/ due to --dry-run option",
            "Skipping deletion of all objects under prefix pg1/wals/0000000100000001/ due to --dry-run option",
            "Skipping deletion of objects ['pg1/wals/0000000100000002/\(Self.seg(2, 0))'] due to --dry-run option",
        ])
    }

    @Test func aFailedTarDeleteLeavesBackupInfoSoTheDeleteCanBeRetried() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        let failing = FailingDeleteStore(base: fx.store, failing: "16385.tar")
        let deletion = CatalogDeletion(
            catalog: BackupCatalog(store: failing, layout: fx.layout, logger: TestData.quietLogger), dryRun: false,
            concurrency: 1, output: { _ in })
        await #expect(throws: StorageError.self) {
            try await deletion.deleteBackup(Self.b1, minimumRedundancy: 0)
        }
        let left = try await backupObjects(fx, Self.b1)
        #expect(left.contains(fx.layout.backupInfoKey(Self.b1)))
        #expect(left.contains(fx.layout.backupPrefix(Self.b1) + "16385.tar.gz"))
        // No WAL went either: the backup still counts.
        #expect(try await fx.walNames() == Self.allWAL)
        // The retry finishes the job.
        #expect(try await fx.deletion().deleteBackup(Self.b1, minimumRedundancy: 0) == [Self.b1])
        #expect(try await backupObjects(fx, Self.b1).isEmpty)
    }

    @Test func aBackupsObjectsGoInBarmansOrder() {
        let keys = ["f/16385.tar", "f/data_0002.tar.gz", "f/9.tar", "f/data.tar.gz", "f/annotations/x", "f/data_0001.tar.gz",
                    "f/16385_0001.tar", "f/backup_label"]
        #expect(CatalogDeletion.deletionOrder(keys, folder: "f/") == [
            "f/data.tar.gz", "f/data_0001.tar.gz", "f/data_0002.tar.gz", "f/9.tar", "f/16385.tar", "f/16385_0001.tar",
            "f/annotations/x", "f/backup_label",
        ])
    }

    @Test func backupInfoIsTheLastObjectOfABackupToGo() async throws {
        let fx = try await Self.threeBackups()
        defer { fx.remove() }
        let recorder = FailingDeleteStore(base: fx.store, failing: nil)
        let deletion = CatalogDeletion(
            catalog: BackupCatalog(store: recorder, layout: fx.layout, logger: TestData.quietLogger), dryRun: false,
            concurrency: 4, output: { _ in })
        try await deletion.deleteBackup(Self.b1, minimumRedundancy: 0)
        let order = recorder.deleted.withLock { $0 }.filter { $0.hasPrefix(fx.layout.backupPrefix(Self.b1)) }
        #expect(order.count == 3)
        #expect(order.last == fx.layout.backupInfoKey(Self.b1))
    }
}

/// A store that records deletes and fails those whose key contains `failing`.
final class FailingDeleteStore: ObjectStore, Sendable {
    let base: FileSystemStore
    let failing: String?
    let deleted = Mutex<[String]>([])

    init(base: FileSystemStore, failing: String?) {
        self.base = base
        self.failing = failing
    }

    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome {
        try await base.put(key, body: body, options: options)
    }
    func putFile(_ key: String, path: String, size: Int, options: PutOptions) async throws -> PutOutcome {
        try await base.putFile(key, path: path, size: size, options: options)
    }
    func get(_ key: String) async throws -> ObjectDownload { try await base.get(key) }
    func head(_ key: String) async throws -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String, delimiter: String?) async throws -> ObjectListing {
        try await base.list(prefix: prefix, delimiter: delimiter)
    }
    func delete(_ key: String) async throws {
        if let failing, key.contains(failing) { throw StorageError(.failed, "injected failure deleting \(key)") }
        try await base.delete(key)
        deleted.withLock { $0.append(key) }
    }
    func checkBucket() async throws -> BucketStatus { try await base.checkBucket() }
}
