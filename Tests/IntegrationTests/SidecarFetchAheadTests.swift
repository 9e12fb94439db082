import CloudWAL
import CloudWALServer
import Foundation
import Logging
import Testing

/// The sidecar's `/wal-fetch` prefetch (`FetchAhead`, as `SidecarRoutes` uses it) over the real
/// restore path (`LibraryWALOperations` on a file:// archive): the next segments are served
/// from the spool without a second download, and a fetch of a segment still on its way joins
/// that download. A gate holds one prefetch in flight, so "on its way" does not depend on speed.
@Suite("Sidecar fetch-ahead")
struct SidecarFetchAheadTests {
    /// `LibraryWALOperations` that counts calls and can hold the fetch-ahead of chosen segments.
    actor GatedOperations: WALOperations {
        let inner: LibraryWALOperations
        private(set) var fetches: [String] = []
        private(set) var fetchesAhead: [String] = []
        private var held: Set<String> = []
        private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

        init(_ inner: LibraryWALOperations) { self.inner = inner }

        func hold(_ name: String) { held.insert(name) }

        func release(_ name: String) {
            held.remove(name)
            for waiter in waiting.removeValue(forKey: name) ?? [] { waiter.resume() }
        }

        func isWaiting(_ name: String) -> Bool { !(waiting[name] ?? []).isEmpty }

        func push(_ wal: WALFileName) async throws -> WALArchiver.Outcome { try await inner.push(wal) }

        func fetch(_ wal: WALFileName, to path: String) async throws -> Int {
            fetches.append(wal.name)
            return try await inner.fetch(wal, to: path)
        }

        func fetchAhead(_ wal: WALFileName, to path: String) async throws -> Int {
            fetchesAhead.append(wal.name)
            if held.contains(wal.name) { await withCheckedContinuation { waiting[wal.name, default: []].append($0) } }
            return try await inner.fetchAhead(wal, to: path)
        }
    }

    static func name(_ n: Int) -> String { "00000001" + "00000000" + String(format: "%08X", n) }

    @Test func theNextSegmentsComeFromTheSpoolAndAFetchInFlightIsJoined() async throws {
        let root = try TempDirectory.make(prefix: "cloudwal-fetchahead", ownedByServer: false)
        defer { root.remove() }
        let spool = root.path + "/spool"
        try FileManager.default.createDirectory(atPath: root.path + "/archive", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let store = FileSystemStore(root: root.path + "/archive")
        let layout = try ArchiveLayout(prefix: "", serverName: "pg1")
        let archiver = WALArchiver(store: store, layout: layout, configuration: .init(), logger: logger)
        var contents: [String: Data] = [:]
        for n in 1...5 {
            let bytes = WALFixture.segmentBytes(Self.name(n), seed: UInt64(n))
            contents[Self.name(n)] = bytes
            let path = root.path + "/" + Self.name(n)
            try bytes.write(to: URL(fileURLWithPath: path))
            _ = try await archiver.archive(walPath: path)
        }
        let restorer = WALRestorer(store: store, layout: layout, dataDirectory: nil, logger: logger)
        let operations = GatedOperations(LibraryWALOperations(archiver: archiver, restorer: restorer, walDirectory: root.path))
        await operations.hold(Self.name(3))
        let ahead = FetchAhead(depth: 3, directory: spool, operations: operations, logger: logger)

        func fetch(_ n: Int) async throws -> (Data?, FetchAhead.Source) {
            let destination = FileSystemOps.temporarySibling(of: spool + "/" + Self.name(n))
            defer { try? FileSystemOps.remove(destination) }
            let (size, source) = try await ahead.fetch(try #require(WALFileName(Self.name(n))), to: destination)
            let data = FileManager.default.contents(atPath: destination)
            #expect(data?.count == size)
            return (data, source)
        }

        let first = try await fetch(1)
        #expect(first.0 == contents[Self.name(1)] && first.1 == .archive)
        // 2, 3 and 4 are fetched ahead; 2 arrives, 3 is held on its way.
        _ = try await waitUntil(timeout: .seconds(60), "2 in the spool and 3 on its way") { () async throws -> Bool? in
            let waiting = await operations.isWaiting(Self.name(3))
            return FileManager.default.fileExists(atPath: spool + "/" + Self.name(2)) && waiting ? true : nil
        }
        let second = try await fetch(2)
        #expect(second.0 == contents[Self.name(2)] && second.1 == .spool)

        // Two requests for 3 while its download is held: both wait for that one download.
        async let a = fetch(3)
        async let b = fetch(3)
        try await Task.sleep(for: .milliseconds(300))
        await operations.release(Self.name(3))
        let (joinedA, joinedB) = try await (a, b)
        #expect(joinedA.0 == contents[Self.name(3)] && joinedB.0 == contents[Self.name(3)])
        #expect([joinedA.1, joinedB.1].allSatisfy { $0 == .joined || $0 == .spool })

        // Only 1 was ever downloaded for a request; 2, 3 and 4 once each, ahead.
        #expect(await operations.fetches == [Self.name(1)])
        let aheadCalls = await operations.fetchesAhead
        for n in 2...4 { #expect(aheadCalls.filter { $0 == Self.name(n) }.count == 1, "\(n) fetched \(aheadCalls)") }
        // 5 is fetched once 3 is the newest request; 6 does not exist (the end of the archive).
        _ = try await waitUntil(timeout: .seconds(60), "5 in the spool") { () async throws -> Bool? in
            FileManager.default.fileExists(atPath: spool + "/" + Self.name(5)) ? true : nil
        }
        _ = try await waitUntil(timeout: .seconds(60), "the fetch-ahead to settle") { () async throws -> Bool? in
            await ahead.fetching.isEmpty ? true : nil
        }
        // The spool keeps the newest request and the window, nothing older.
        let left = try FileManager.default.contentsOfDirectory(atPath: spool).sorted()
        #expect(left == [3, 4, 5].map(Self.name), "the spool holds \(left)")
    }

    @Test func theSettingIsReadAndBounded() throws {
        #expect(try SidecarEnvironment.settings(environment: Environment([:])).fetchAhead == 8)
        #expect(try SidecarEnvironment.settings(environment: Environment(["CLOUD_WAL_FETCH_AHEAD": "0"])).fetchAhead == 0)
        #expect(throws: WALError.self) {
            try SidecarEnvironment.settings(environment: Environment(["CLOUD_WAL_FETCH_AHEAD": "-1"]))
        }
        // Above the bound: refused when read, as CLOUD_WAL_ARCHIVE_AHEAD is, and by validate()
        // when set in code.
        #expect(throws: WALError.self) {
            try SidecarEnvironment.settings(environment: Environment(["CLOUD_WAL_FETCH_AHEAD": "65"]))
        }
        var settings = try SidecarEnvironment.settings(environment: Environment(["CLOUD_WAL_FETCH_AHEAD": "64"]))
        settings.allowUnauthenticated = true
        #expect(throws: Never.self) { try settings.validate() }
        settings.fetchAhead = SidecarSettings.maxFetchAhead + 1
        #expect(throws: SidecarFailure.self) { try settings.validate() }
    }
}
