import CloudWAL
import Foundation
import Testing

/// Keep annotations (barman-cloud's object and content) and check-wal-archive's rules.
@Suite("backup-keep annotations and check-wal-archive")
struct KeepAndArchiveCheckTests {
    @Test func keepWritesBarmansAnnotationObjectAndReleaseRemovesIt() async throws {
        let fx = try CatalogFixture(prefix: "some/prefix")
        defer { fx.remove() }
        try await fx.addBackup("20250101T000000", begin: "000000010000000000000002", end: "000000010000000000000002", endTime: .daysFromNow(-1))
        let keeps = KeepAnnotations(store: fx.store, layout: fx.layout)
        #expect(try await keeps.target(of: "20250101T000000") == nil)

        try await keeps.keep("20250101T000000", target: .standalone)
        let key = "some/prefix/pg1/base/20250101T000000/annotations/keep"
        #expect(try await fx.store.get(key).collect(limit: 100) == Array("standalone".utf8))
        #expect(try await keeps.target(of: "20250101T000000") == .standalone)

        // Changing the target replaces the object.
        try await keeps.keep("20250101T000000", target: .full)
        #expect(try await fx.store.get(key).collect(limit: 100) == Array("full".utf8))
        #expect(try await keeps.allTargets() == ["20250101T000000": .full])

        try await keeps.release("20250101T000000")
        #expect(try await fx.store.head(key) == nil)
        #expect(try await keeps.allTargets().isEmpty)
        // Releasing again is no error.
        try await keeps.release("20250101T000000")
    }

    @Test func anAnnotationOtherThanStandaloneCountsAsFull() {
        #expect(KeepTarget(annotation: "standalone") == .standalone)
        #expect(KeepTarget(annotation: "standalone\n") == .standalone)
        #expect(KeepTarget(annotation: "full") == .full)
        #expect(KeepTarget(annotation: "something-newer") == .full)
    }

    @Test func allTargetsFindsEveryKeptBackup() async throws {
        let fx = try CatalogFixture()
        defer { fx.remove() }
        let keeps = KeepAnnotations(store: fx.store, layout: fx.layout)
        for (id, target) in [("20250101T000000", KeepTarget.full), ("20250103T000000", .standalone)] {
            try await fx.addBackup(id, begin: "000000010000000000000002", end: "000000010000000000000002", endTime: .daysFromNow(-1))
            try await keeps.keep(id, target: target)
        }
        try await fx.addBackup("20250102T000000", begin: "000000010000000000000004", end: "000000010000000000000004", endTime: .daysFromNow(-1))
        let snapshot = try await CatalogSnapshot.load(fx.catalog)
        #expect(snapshot.keepTargets == ["20250101T000000": .full, "20250103T000000": .standalone])
        #expect(snapshot.backups.map(\.backupID) == ["20250101T000000", "20250102T000000", "20250103T000000"])
    }

    // MARK: - check-wal-archive

    @Test func anEmptyArchiveAndAMissingLocationAreUsable() async throws {
        let fx = try CatalogFixture()
        defer { fx.remove() }
        #expect(try await WALArchiveCheck.run(store: fx.store, layout: fx.layout, timeline: nil) == .usable(walCount: 0))
        // Backups alone and unrelated objects under wals/ do not count.
        try await fx.addBackup("20250101T000000", begin: "000000010000000000000002", end: "000000010000000000000002", endTime: .daysFromNow(-1))
        _ = try await fx.store.put("pg1/wals/README", body: [1], options: PutOptions())
        _ = try await fx.store.put("pg1/wals/0000000100000000/000000010000000000000001.unknown", body: [1], options: PutOptions())
        #expect(try await WALArchiveCheck.run(store: fx.store, layout: fx.layout, timeline: nil) == .usable(walCount: 0))
        let missing = FileSystemStore(root: fx.dir.path + "/nonexistent")
        #expect(try await WALArchiveCheck.run(store: missing, layout: fx.layout, timeline: nil) == .locationMissing)
        #expect(!FileManager.default.fileExists(atPath: fx.dir.path + "/nonexistent"))
    }

    @Test(arguments: [
        "000000010000000000000001", "000000010000000000000001.gz", "000000010000000000000001.partial",
        "000000010000000000000001.00000028.backup.zst", "00000001.history",
    ])
    func anyWALFileMakesTheArchiveNonEmpty(name: String) async throws {
        let fx = try CatalogFixture()
        defer { fx.remove() }
        let parsed = try #require(ArchiveLayout.parseObjectName(name))
        _ = try await fx.store.put(fx.layout.key(for: parsed.wal, compression: parsed.compression), body: [1], options: PutOptions())
        let error = await #expect(throws: WALError.self) {
            try await WALArchiveCheck.run(store: fx.store, layout: fx.layout, timeline: nil)
        }
        #expect(error?.kind == .conflict)
        #expect(error?.message == "WAL archive check failed for server pg1: Expected empty archive")
    }

    @Test func aTimelineFailsOnlyForFilesOnItOrLater() async throws {
        let fx = try CatalogFixture()
        defer { fx.remove() }
        try await fx.addWAL(["000000010000000000000001", "000000010000000000000002", "00000002.history", "000000020000000000000002"])
        try await fx.addWAL(["000000020000000000000002"], compression: .gzip)  // same name twice counts once
        #expect(try await WALArchiveCheck.run(store: fx.store, layout: fx.layout, timeline: 3) == .usable(walCount: 4))
        let two = await #expect(throws: WALError.self) {
            try await WALArchiveCheck.run(store: fx.store, layout: fx.layout, timeline: 2)
        }
        #expect(two?.message == "WAL archive check failed for server pg1: Found 2 files in WAL archive equal to or newer than timeline 2")
        try await fx.addWAL(["0000000A0000000000000001"])
        let ten = await #expect(throws: WALError.self) {
            try await WALArchiveCheck.run(store: fx.store, layout: fx.layout, timeline: 10)
        }
        #expect(ten?.message == "WAL archive check failed for server pg1: Found 1 file in WAL archive equal to or newer than timeline 10")
    }

    @Test func anotherServersWALDoesNotCount() async throws {
        let fx = try CatalogFixture()
        defer { fx.remove() }
        let other = try ArchiveLayout(prefix: "", serverName: "pg2")
        _ = try await fx.store.put(other.key(for: try #require(WALFileName("000000010000000000000001")), compression: nil), body: [1], options: PutOptions())
        #expect(try await WALArchiveCheck.run(store: fx.store, layout: fx.layout, timeline: nil) == .usable(walCount: 0))
    }
}
