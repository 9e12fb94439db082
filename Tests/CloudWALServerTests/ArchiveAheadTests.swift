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

        /// The sidecar as `serve` runs it with archiving ahead: its watcher started.
        func startSidecar(concurrency: Int) throws -> RunningSidecar {
            let routes = self.routes(concurrency: concurrency)
            let ahead = try #require(routes.ahead)
            return RunningSidecar(
                routes: routes, ahead: ahead, app: Application(router: routes.router(), logger: ArchiveAheadTests.logger),
                watcher: Task { await ahead.run() })
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

    /// Routes that archive ahead, their watcher running, and the app requests go to.
    struct RunningSidecar {
        let routes: SidecarRoutes
        let ahead: ArchiveAhead
        let app: Application<RouterResponder<BasicRequestContext>>
        let watcher: Task<Void, Never>

        /// Ends the watcher and waits for it.
        func stop() async {
            watcher.cancel()
            await watcher.value
        }
    }

    /// Pushes segment 1, waits until the watcher's upload of segment 2 is held at the store's
    /// door (then runs `whileHeld`), pushes segment 2 and releases the upload once that push
    /// joined it: the push's answer.
    static func joinHeldUpload(
        _ fx: Fixture, _ sidecar: RunningSidecar, whileHeld: () async throws -> Void = {}
    ) async throws -> (HTTPResponse.Status, String) {
        let app = sidecar.app
        #expect(try await walPush(app, 1).0 == .ok)
        try await eventually("held upload") { await fx.store.gate.waiting == 1 }
        try await whileHeld()
        async let pushed = walPush(app, 2)
        try await eventually("joined") { await sidecar.routes.pushes.joins == 1 }
        await fx.store.gate.release()
        return try await pushed
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

    /// `/wal-push/<segment number>` through the routes: status and body.
    static func walPush(_ app: some ApplicationProtocol, _ number: Int) async throws -> (HTTPResponse.Status, String) {
        try await app.test(.router) { client in
            try await client.execute(uri: "/wal-push/\(name(number))", method: .get) { ($0.status, body($0)) }
        }
    }

    static func get(_ app: some ApplicationProtocol, _ uri: String) async throws -> String {
        try await app.test(.router) { client in try await client.execute(uri: uri, method: .get) { body($0) } }
    }

    @Test func startsWithPostgreSQLsFirstPushThenAnswersFromRecords() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let contents = try (1...5).map { try fx.segment($0) }
        let statusBefore = try fx.statusSnapshot()
        let sidecar = try fx.startSidecar(concurrency: 3)
        // Until PostgreSQL archives through this sidecar, nothing is pushed (a sidecar that only
        // restores must not ship its cluster's WAL into the archive it restores from).
        try await Task.sleep(for: .milliseconds(300))
        #expect(await fx.store.gate.puts.isEmpty)
        #expect(try await Self.get(sidecar.app, "/status").contains("\"active\":false"))

        let (status, text) = try await Self.walPush(sidecar.app, 1)
        #expect(status == .ok)
        #expect(text.hasPrefix("archived \(Self.name(1)) as pg1/wals/"), "\(text)")
        try await Self.eventually("records") { fx.state.recordedSegments().count == 4 }
        #expect(try await fx.stored().count == 5)
        #expect(try fx.statusSnapshot() == statusBefore, "archive_status is only read")

        let puts = await fx.store.gate.puts.count
        #expect(puts == 5)
        for number in 2...5 {
            let (status, text) = try await Self.walPush(sidecar.app, number)
            #expect(status == .ok)
            #expect(text.contains("was archived ahead as pg1/wals/"), "\(text)")
        }
        let json = try await Self.get(sidecar.app, "/status")
        #expect(json.contains("\"archive_ahead\":{\"concurrency\":3,\"active\":true,"), "\(json)")
        #expect(json.contains("\"pushed\":4,"), "\(json)")
        #expect(json.contains("\"answered_from_record\":4,"), "\(json)")
        let metrics = try await Self.get(sidecar.app, "/metrics")
        #expect(metrics.contains("cloud_wal_archive_ahead_pushes_total{result=\"stored\"} 4\n"))
        #expect(metrics.contains("cloud_wal_archive_ahead_answered_total{how=\"record\"} 4\n"))
        // Answered without a single store request, records consumed, content byte-identical.
        #expect(await fx.store.gate.puts.count == puts)
        #expect(fx.state.recordedSegments().isEmpty)
        for number in 1...5 { #expect(fx.storedBytes(number) == Data(contents[number - 1])) }
        // PostgreSQL has not renamed the `.ready` files yet: the watcher must not push them again.
        try await Task.sleep(for: .milliseconds(300))
        #expect(await fx.store.gate.puts.count == puts)
        #expect(try fx.statusSnapshot() == statusBefore)
        await sidecar.stop()
    }

    @Test func aPushArrivingWhileItsSegmentIsInFlightJoinsIt() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.segment(1)
        let content = try fx.segment(2)
        await fx.store.gate.hold(containing: Self.name(2))
        let sidecar = try fx.startSidecar(concurrency: 2)
        let (status, text) = try await Self.joinHeldUpload(fx, sidecar) {
            #expect(await sidecar.ahead.inFlight == [Self.name(2)])
        }
        #expect(status == .ok)
        #expect(text.hasPrefix("archived \(Self.name(2)) as pg1/wals/"), "\(text)")
        #expect(try await Self.get(sidecar.app, "/status").contains("\"joined\":1,"))
        // One upload for both; the joined request spent the record.
        #expect(await fx.store.gate.puts.filter { $0.hasSuffix(Self.name(2)) }.count == 1)
        #expect(fx.storedBytes(2) == Data(content))
        #expect(fx.state.recordedSegments().isEmpty)
        await sidecar.stop()
    }

    @Test func aFailedPushAheadThatWasJoinedIsArchivedByTheRequest() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.segment(1)
        let content = try fx.segment(2)
        await fx.store.gate.hold(containing: Self.name(2))
        await fx.store.gate.failNextPut(containing: Self.name(2))
        let sidecar = try fx.startSidecar(concurrency: 1)
        // The push ahead fails; the request does not: it archives the segment itself.
        let (status, text) = try await Self.joinHeldUpload(fx, sidecar)
        #expect(status == .ok, "\(text)")
        #expect(text.hasPrefix("archived \(Self.name(2)) as pg1/wals/"), "\(text)")
        let json = try await Self.get(sidecar.app, "/status")
        #expect(json.contains("\"failed\":1,"), "\(json)")
        #expect(json.contains("\"last_failed\":null"), "no request failed: \(json)")
        #expect(await fx.store.gate.puts.filter { $0.hasSuffix(Self.name(2)) }.count == 2)
        #expect(fx.storedBytes(2) == Data(content))
        #expect(fx.state.recordedSegments().isEmpty, "a failure ahead leaves no record")
        await sidecar.stop()
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
        let (status, text) = try await Self.walPush(app, 1)
        #expect(status == .ok)
        #expect(text.hasPrefix("archived \(Self.name(1)) as pg1/wals/"), "\(text)")
        let json = try await Self.get(app, "/status")
        #expect(json.contains("\"answered_from_record\":0,"), "\(json)")
        #expect(json.contains("\"records_ignored\":1,"), "\(json)")
        #expect(await fx.store.gate.puts.count == 1)
        #expect(fx.storedBytes(1) == Data(content))
        #expect(fx.state.recordedSegments().isEmpty, "the ignored record is gone")
    }

    @Test func onShutdownTheUploadInFlightFinishesAndNothingNewStarts() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.segment(1)
        let content = try fx.segment(2)
        try fx.segment(3)
        await fx.store.gate.hold(containing: Self.name(2))
        let sidecar = try fx.startSidecar(concurrency: 1)
        #expect(try await Self.walPush(sidecar.app, 1).0 == .ok)
        try await Self.eventually("held upload") { await fx.store.gate.waiting == 1 }
        sidecar.watcher.cancel()
        await fx.store.gate.release()
        await sidecar.watcher.value
        // Segment 2 became durable, so it is recorded; segment 3 was never started.
        #expect(await fx.store.gate.puts == [1, 2].map { "pg1/wals/0000000100000000/\(Self.name($0))" })
        #expect(fx.storedBytes(2) == Data(content))
        #expect(fx.state.recordedSegments() == [Self.name(2)])
        #expect(await sidecar.ahead.inFlight.isEmpty)
    }

    @Test func withoutArchiveStatusTheWatcherWaitsForIt() async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.segment(1)
        try FileManager.default.removeItem(atPath: fx.status)
        let sidecar = try fx.startSidecar(concurrency: 2)
        #expect(try await Self.walPush(sidecar.app, 1).0 == .ok)
        try await Task.sleep(for: .milliseconds(300))
        // Created later: picked up by a later scan.
        try FileManager.default.createDirectory(atPath: fx.status, withIntermediateDirectories: false)
        try fx.segment(2)
        try await Self.eventually("record") { fx.state.recordedSegments() == [Self.name(2)] }
        await sidecar.stop()
    }

    @Test func zeroTurnsArchivingAheadOff() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        #expect(fx.routes(concurrency: 0).ahead == nil)
    }
}
