import CloudWAL
import CloudWALServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The sidecar archiving ahead, in process over a real file:// store and the real archiver:
/// what the watcher pushes and records, when `/wal-push` answers from a record, joins an upload
/// in flight or archives normally, and how it stops.
@Suite("Sidecar archive-ahead (in process, file:// store)")
struct ArchiveAheadTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func name(_ segment: Int) -> String {
        let hex = String(segment, radix: 16, uppercase: true)
        return "0000000100000000" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// PGDATA with pg_wal/archive_status, an archive and a state folder in one temporary tree.
    struct Fixture {
        let directory: String
        let store: GatedStore
        let layout: ArchiveLayout
        let state: ArchiveStateDirectory
        var data: String { directory + "/data" }
        var wal: String { data + "/pg_wal" }
        var status: String { wal + "/archive_status" }

        init() throws {
            directory = NSTemporaryDirectory() + "cloudwal-ahead-" + UUID().uuidString
            for path in ["/data/pg_wal/archive_status", "/archive", "/spool"] {
                try FileManager.default.createDirectory(atPath: directory + path, withIntermediateDirectories: true)
            }
            store = GatedStore(base: FileSystemStore(root: directory + "/archive"))
            layout = try ArchiveLayout(prefix: "", serverName: "pg1")
            state = ArchiveStateDirectory(baseDirectory: directory + "/state", archiveIdentity: "file:///x pg1")
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }

        /// Segment `number` in pg_wal, marked `.ready` as PostgreSQL does.
        @discardableResult
        func segment(_ number: Int, seed: UInt64? = nil) throws -> [UInt8] {
            let name = ArchiveAheadTests.name(number)
            let bytes = WALSegmentFixture.bytes(name, seed: seed ?? UInt64(number))
            try Data(bytes).write(to: URL(fileURLWithPath: "\(wal)/\(name)"))
            FileManager.default.createFile(atPath: "\(status)/\(name).ready", contents: nil)
            return bytes
        }

        /// The routes as `cloud-wal serve` builds them, archiving ahead `concurrency` at a time.
        func routes(concurrency: Int) -> SidecarRoutes {
            let archiver = WALArchiver(store: store, layout: layout, configuration: .init(), logger: ArchiveAheadTests.logger)
            let restorer = WALRestorer(store: store, layout: layout, dataDirectory: data, logger: ArchiveAheadTests.logger)
            let settings = SidecarSettings(
                listenAddress: "127.0.0.1", listenPort: 1, dataDirectory: data, allowUnauthenticated: true,
                spoolDirectory: directory + "/spool", archiveAhead: concurrency, stateDirectory: state.baseDirectory)
            return SidecarRoutes(
                settings: settings,
                operations: LibraryWALOperations(archiver: archiver, restorer: restorer, walDirectory: wal),
                backupRunner: nil,
                lookAhead: LookAheadArchiver(
                    archiver: archiver, parallel: concurrency, state: state, logger: ArchiveAheadTests.logger),
                logger: ArchiveAheadTests.logger)
        }

        /// Object keys under the server's wals/ folder.
        func stored() async throws -> [String] {
            try await store.base.list(prefix: layout.walsPrefix, delimiter: nil).objects.map(\.key).sorted()
        }

        func storedBytes(_ number: Int) -> Data? {
            let name = ArchiveAheadTests.name(number)
            return FileManager.default.contents(atPath: "\(directory)/archive/pg1/wals/\(name.prefix(16))/\(name)")
        }

        /// Names with inode and modification time: equal means not even touched.
        func statusSnapshot() throws -> [String: String] {
            var snapshot: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: status) {
                let attributes = try FileManager.default.attributesOfItem(atPath: "\(status)/\(name)")
                snapshot[name] = "\(attributes[.systemFileNumber] ?? 0) \(attributes[.modificationDate] ?? 0)"
            }
            return snapshot
        }
    }

    /// Polls `condition` until it holds; a generous bound, only so a broken build cannot hang.
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func body(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test func pushesReadySegmentsAheadSoThatWalPushAnswersFromTheirRecords() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let contents = try (1...5).map { try fx.segment($0) }
        let statusBefore = try fx.statusSnapshot()
        let routes = fx.routes(concurrency: 3)
        let ahead = try #require(routes.ahead)
        let watcher = Task { await ahead.run() }
        try await Self.eventually("records") { fx.state.recordedSegments().count == 5 }
        #expect(try await fx.stored().count == 5)
        #expect(try fx.statusSnapshot() == statusBefore, "archive_status is only read")

        let puts = await fx.store.gate.puts.count
        let app = Application(router: routes.router(), logger: Self.logger)
        try await app.test(.router) { client in
            for number in 1...5 {
                try await client.execute(uri: "/wal-push/\(Self.name(number))", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(Self.body(response).contains("was archived ahead as pg1/wals/"), "\(Self.body(response))")
                }
            }
            try await client.execute(uri: "/status", method: .get) { response in
                let body = Self.body(response)
                #expect(body.contains("\"archive_ahead\":{\"concurrency\":3,"), "\(body)")
                #expect(body.contains("\"pushed\":5,"), "\(body)")
                #expect(body.contains("\"answered_from_record\":5,"), "\(body)")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let body = Self.body(response)
                #expect(body.contains("cloud_wal_archive_ahead_pushes_total{result=\"stored\"} 5"))
                #expect(body.contains("cloud_wal_archive_ahead_answered_total{how=\"record\"} 5"))
            }
        }
        // Answered without a single store request, records consumed, content byte-identical.
        #expect(await fx.store.gate.puts.count == puts)
        #expect(fx.state.recordedSegments().isEmpty)
        for number in 1...5 { #expect(fx.storedBytes(number) == Data(contents[number - 1])) }
        // PostgreSQL has not renamed the `.ready` files yet: the watcher must not push them again.
        try await Task.sleep(for: .milliseconds(300))
        #expect(await fx.store.gate.puts.count == puts)
        #expect(try fx.statusSnapshot() == statusBefore)
        watcher.cancel()
        await watcher.value
    }

    @Test func aPushArrivingWhileItsSegmentIsInFlightJoinsIt() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let content = try fx.segment(1)
        await fx.store.gate.hold()
        let routes = fx.routes(concurrency: 2)
        let ahead = try #require(routes.ahead)
        let watcher = Task { await ahead.run() }
        // The watcher's upload is at the store's door, held.
        try await Self.eventually("held upload") { await fx.store.gate.waiting == 1 }
        #expect(await ahead.inFlight == [Self.name(1)])

        let app = Application(router: routes.router(), logger: Self.logger)
        try await app.test(.router) { client in
            async let pushed = client.execute(uri: "/wal-push/\(Self.name(1))", method: .get) { response in
                (response.status, Self.body(response))
            }
            try await Self.eventually("joined") { await routes.pushes.joins == 1 }
            await fx.store.gate.release()
            let (status, text) = try await pushed
            #expect(status == .ok)
            #expect(text.hasPrefix("archived \(Self.name(1)) as pg1/wals/"), "\(text)")
            try await client.execute(uri: "/status", method: .get) { response in
                #expect(Self.body(response).contains("\"joined\":1,"), "\(Self.body(response))")
            }
        }
        // One upload for both; the joined request spent the record.
        #expect(await fx.store.gate.puts.count == 1)
        #expect(try await fx.stored().count == 1)
        #expect(fx.storedBytes(1) == Data(content))
        #expect(fx.state.recordedSegments().isEmpty)
        watcher.cancel()
        await watcher.value
    }

    @Test func aFailedPushAheadThatWasJoinedIsArchivedByTheRequest() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let content = try fx.segment(1)
        await fx.store.gate.hold()
        await fx.store.gate.failNextPut(containing: Self.name(1))
        let routes = fx.routes(concurrency: 1)
        let ahead = try #require(routes.ahead)
        let watcher = Task { await ahead.run() }
        try await Self.eventually("held upload") { await fx.store.gate.waiting == 1 }

        let app = Application(router: routes.router(), logger: Self.logger)
        try await app.test(.router) { client in
            async let pushed = client.execute(uri: "/wal-push/\(Self.name(1))", method: .get) { response in
                (response.status, Self.body(response))
            }
            try await Self.eventually("joined") { await routes.pushes.joins == 1 }
            await fx.store.gate.release()
            // The push ahead fails; the request does not: it archives the segment itself.
            let (status, text) = try await pushed
            #expect(status == .ok, "\(text)")
            #expect(text.hasPrefix("archived \(Self.name(1)) as pg1/wals/"), "\(text)")
            try await client.execute(uri: "/status", method: .get) { response in
                let body = Self.body(response)
                #expect(body.contains("\"failed\":1,"), "\(body)")
                #expect(body.contains("\"last_failed\":null"), "no request failed: \(body)")
            }
        }
        #expect(await fx.store.gate.puts.count == 2)
        #expect(fx.storedBytes(1) == Data(content))
        #expect(fx.state.recordedSegments().isEmpty, "a failure ahead leaves no record")
        watcher.cancel()
        await watcher.value
    }

    @Test func aRecordForOtherContentIsIgnoredAndTheSegmentArchivedNormally() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let content = try fx.segment(1)
        // A record as the watcher writes it, but for other bytes (e.g. left by an earlier
        // cluster that reused the archive): it must not let the request skip the store.
        try fx.state.prepare()
        let other = WALSegmentFixture.bytes(Self.name(1), seed: 99)
        var digest = ContentDigest()
        digest.update(other)
        let record = try #require(ArchiveStateRecord(
            segment: Self.name(1), sha256: digest.finalize(), size: other.count, key: "pg1/wals/x/\(Self.name(1))"))
        try fx.state.write(record)
        // No watcher: this is about the request alone.
        let routes = fx.routes(concurrency: 2)
        let app = Application(router: routes.router(), logger: Self.logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/wal-push/\(Self.name(1))", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Self.body(response).hasPrefix("archived \(Self.name(1)) as pg1/wals/"), "\(Self.body(response))")
            }
            try await client.execute(uri: "/status", method: .get) { response in
                let body = Self.body(response)
                #expect(body.contains("\"answered_from_record\":0,"), "\(body)")
                #expect(body.contains("\"records_ignored\":1,"), "\(body)")
            }
        }
        #expect(await fx.store.gate.puts.count == 1)
        #expect(fx.storedBytes(1) == Data(content))
        #expect(fx.state.recordedSegments().isEmpty, "the ignored record is gone")
    }

    @Test func onShutdownTheUploadInFlightFinishesAndNothingNewStarts() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let content = try fx.segment(1)
        try fx.segment(2)
        await fx.store.gate.hold()
        let routes = fx.routes(concurrency: 1)
        let ahead = try #require(routes.ahead)
        let watcher = Task { await ahead.run() }
        try await Self.eventually("held upload") { await fx.store.gate.waiting == 1 }
        watcher.cancel()
        await fx.store.gate.release()
        await watcher.value
        // Segment 1 became durable, so it is recorded; segment 2 was never started.
        #expect(await fx.store.gate.puts == ["pg1/wals/0000000100000000/\(Self.name(1))"])
        #expect(fx.storedBytes(1) == Data(content))
        #expect(fx.state.recordedSegments() == [Self.name(1)])
        #expect(await ahead.inFlight.isEmpty)
    }

    @Test func withoutArchiveStatusTheWatcherWaitsAndPushesNothing() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try FileManager.default.removeItem(atPath: fx.status)
        let routes = fx.routes(concurrency: 2)
        let ahead = try #require(routes.ahead)
        let watcher = Task { await ahead.run() }
        try await Task.sleep(for: .milliseconds(300))
        // Created later (PostgreSQL's first start): picked up by a later scan.
        try FileManager.default.createDirectory(atPath: fx.status, withIntermediateDirectories: false)
        try fx.segment(1)
        try await Self.eventually("record") { fx.state.recordedSegments() == [Self.name(1)] }
        watcher.cancel()
        await watcher.value
    }

    @Test func zeroTurnsArchivingAheadOff() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        #expect(fx.routes(concurrency: 0).ahead == nil)
    }
}
