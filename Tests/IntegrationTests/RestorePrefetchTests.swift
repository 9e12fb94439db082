import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `wal-restore -p N` with its detached background prefetcher, through the fault proxy in
/// front of moto: the call returns as soon as its own segment is at `%p` while the look-ahead
/// is still on its way, the next call is served from the spool, two calls share one
/// prefetcher, a `kill -9` of the prefetcher leaves nothing a later call would hand over, and
/// no secret is on the prefetcher's command line.
@Suite("wal-restore -p: pipelined prefetch", .faultBackend(.moto))
struct RestorePrefetchTests {
    /// Longer than any delay below: the prefetcher's downloads must outlast the delays.
    static let readTimeout = ["--read-timeout", "60"]

    /// A rule that holds the GETs of `numbers`' objects (never the listings) for `seconds`.
    static func delayRule(_ ws: FaultWorkspace, _ numbers: [Int], seconds: Double) -> FaultRule {
        let names = numbers.map(FaultWAL.name).joined(separator: "|")
        var rule = FaultRule(id: ws.bucket + "-delay", method: "GET", path: "^/\(ws.bucket)/[^?]*(\(names))$", action: .delay)
        rule.times = 0
        rule.seconds = seconds
        return rule
    }

    /// Object GETs (not listings) of segment `number` the proxy has answered.
    static func downloads(_ ws: FaultWorkspace, _ number: Int) async throws -> Int {
        try await ws.backend.proxy.requests(containing: ws.bucket).filter {
            $0.method == "GET" && ($0.path ?? "").hasSuffix(FaultWAL.name(number)) && $0.action != "stall_ended"
        }.count
    }

    @Test func theCallReturnsBeforeItsLookAheadAndTheNextCallIsServedFromTheSpool() async throws {
        let backend = try FaultBackend.shared()
        let ws = try await FaultWorkspace.make(backend, hint: "pf-return")
        defer { ws.cleanup() }
        let stored = try await ws.seed([2, 3, 4, 5])
        let delay = Self.delayRule(ws, [3, 4, 5], seconds: 15)
        try await backend.proxy.add([delay])

        let target = try ws.restoreDirectory()
        let first = try await ws.restore(FaultWAL.name(2), into: target, parallel: 4, extra: Self.readTimeout)
        let answeredAtReturn = try await backend.proxy.events(rule: delay.id).count
        #expect(first.status == 0, "\(first.summary): \(lastLines(first.result.stderr, lines: 3))")
        #expect(fileData(target + "/RECOVERYXLOG") == stored[FaultWAL.name(2)])
        // Its own segment only: the look-ahead's GETs are held 15 s and none was answered yet.
        #expect(answeredAtReturn == 0, "a look-ahead GET was answered before the call returned")
        // Waiting for the look-ahead would take at least its 15 s delay; under the whole suite's
        // load a call that did not wait has taken 12 s, so the bound is the delay itself.
        #expect(first.seconds < 15, "the call took \(first.seconds) s, as if it waited for its look-ahead")

        let folder = try PrefetchSpool.folder(under: ws.spoolDirectory)
        try await PrefetchSpool.waitForFile(folder, holds: FaultWAL.name(3))
        let next = try ws.restoreDirectory()
        let second = try await ws.restore(FaultWAL.name(3), into: next, parallel: 4, extra: Self.readTimeout + ["-v"])
        #expect(second.status == 0, "\(second.summary): \(lastLines(second.result.stderr, lines: 3))")
        #expect(fileData(next + "/RECOVERYXLOG") == stored[FaultWAL.name(3)])
        #expect(second.result.stderr.contains("from the spool"), "\(lastLines(second.result.stderr, lines: 5))")
        #expect(try await Self.downloads(ws, 3) == 1, "segment 3 was downloaded more than once")
        try await PrefetchSpool.waitForPrefetcherExit(folder)
        PrefetchSpool.expectOnlyCompleteSegments(folder, stored: stored)
    }

    @Test func twoCallsStartOnePrefetcher() async throws {
        let backend = try FaultBackend.shared()
        let ws = try await FaultWorkspace.make(backend, hint: "pf-one")
        defer { ws.cleanup() }
        let stored = try await ws.seed([2, 3, 4, 5, 6])
        try await backend.proxy.add([Self.delayRule(ws, [4, 5, 6], seconds: 6)])

        // Two calls at once race for the lock; the loser's prefetcher (if it got that far) ends at once.
        let (a, b) = (try ws.restoreDirectory(), try ws.restoreDirectory())
        async let first = ws.restore(FaultWAL.name(2), into: a, parallel: 4, extra: Self.readTimeout)
        async let second = ws.restore(FaultWAL.name(3), into: b, parallel: 4, extra: Self.readTimeout)
        let runs = try await [first, second]
        for run in runs { #expect(run.status == 0, "\(run.summary): \(lastLines(run.result.stderr, lines: 3))") }
        #expect(fileData(a + "/RECOVERYXLOG") == stored[FaultWAL.name(2)])
        #expect(fileData(b + "/RECOVERYXLOG") == stored[FaultWAL.name(3)])

        let folder = try PrefetchSpool.folder(under: ws.spoolDirectory)
        try await Task.sleep(for: .seconds(2))
        let running = PrefetchSpool.prefetcherProcesses(spool: ws.spoolDirectory)
        #expect(running.count == 1, "prefetchers running for one spool: \(running)")
        // A third call while it works does not start another either.
        let c = try ws.restoreDirectory()
        _ = try await PrefetchSpool.waitForFile(folder, holds: FaultWAL.name(4))
        let third = try await ws.restore(FaultWAL.name(4), into: c, parallel: 4, extra: Self.readTimeout)
        #expect(third.status == 0, "\(third.summary)")
        #expect(PrefetchSpool.prefetcherProcesses(spool: ws.spoolDirectory).count <= 1)
        try await PrefetchSpool.waitForPrefetcherExit(folder)
        for number in [4, 5, 6] {
            #expect(try await Self.downloads(ws, number) == 1, "segment \(number) was fetched by two prefetchers")
        }
    }

    @Test func aKilledPrefetcherLeavesNothingALaterCallHandsOver() async throws {
        let backend = try FaultBackend.shared()
        let ws = try await FaultWorkspace.make(backend, hint: "pf-kill")
        defer { ws.cleanup() }
        let stored = try await ws.seed([2, 3, 4, 5])
        let rule = ws.bucket + "-stall"
        var stall = FaultRule(id: rule, method: "GET", path: "^/\(ws.bucket)/[^?]*\(FaultWAL.name(4))$", action: .stallMidBody)
        stall.after = 300_000
        try await backend.proxy.add([stall])

        let first = try await ws.restore(FaultWAL.name(2), into: try ws.restoreDirectory(), parallel: 4, extra: Self.readTimeout)
        #expect(first.status == 0, "\(first.summary)")
        let folder = try PrefetchSpool.folder(under: ws.spoolDirectory)
        _ = try await waitUntil(timeout: .seconds(60), "the prefetcher's GET of segment 4 to stall") { () async throws -> Bool? in
            try await backend.proxy.events(rule: rule).isEmpty ? nil : true
        }
        let pid = try #require(PrefetchSpool.holder(folder), "no prefetcher holds the spool's lock")
        // Its argv names the archive but none of the credentials it works with.
        let argv = PrefetchSpool.commandLine(of: pid)
        #expect(argv.contains("wal-prefetch"))
        #expect(backend.scan.findings(in: argv).isEmpty, "secret material on the prefetcher's command line")
        try await Task.sleep(for: .milliseconds(300))
        kill(pid, SIGKILL)
        try await PrefetchSpool.waitForPrefetcherExit(folder)
        // Its parent (the call) is gone, so init reaps it; until then the pid still exists (a
        // zombie) and its temporary file counts as one still being written.
        _ = try await waitUntil(timeout: .seconds(60), "the killed prefetcher to be reaped") { () async throws -> Bool? in
            FileManager.default.fileExists(atPath: "/proc/\(pid)") ? nil : true
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/" + FaultWAL.name(4)), "a half-fetched segment has its name")

        // PostgreSQL asks for 4: the killed download is never handed over; the call fetches it.
        let target = try ws.restoreDirectory()
        let rerun = try await ws.restore(FaultWAL.name(4), into: target, parallel: 4, extra: Self.readTimeout + ["-v"])
        #expect(rerun.status == 0, "\(rerun.summary): \(lastLines(rerun.result.stderr, lines: 3))")
        #expect(fileData(target + "/RECOVERYXLOG") == stored[FaultWAL.name(4)])
        #expect(!rerun.result.stderr.contains("from the spool"))
        try await PrefetchSpool.waitForPrefetcherExit(folder)
        PrefetchSpool.expectOnlyCompleteSegments(folder, stored: stored)
        #expect(!FaultWorkspace.files(under: folder).contains { $0.contains(".\(pid).") },
                "the killed prefetcher's temporary file is still there")
    }
}

/// Looking at a `wal-restore -p` spool from outside: its folder, its prefetcher (through the
/// lock file's `flock` and the pid written in it) and its files.
enum PrefetchSpool {
    static let bookkeeping: Set<String> = [".prefetch.lock", ".prefetch.request", ".prefetch.boot"]

    /// The one per-archive folder under a spool base directory.
    static func folder(under base: String) throws -> String {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        guard entries.count == 1, let only = entries.first else {
            throw HarnessError("expected one spool folder in \(base), found \(entries)")
        }
        return base + "/" + only
    }

    static func isLocked(_ folder: String) -> Bool {
        let fd = open(folder + "/.prefetch.lock", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return true }
        flock(fd, LOCK_UN)
        return false
    }

    static func holder(_ folder: String) -> pid_t? {
        guard isLocked(folder), let text = try? String(contentsOfFile: folder + "/.prefetch.lock", encoding: .utf8) else {
            return nil
        }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func waitForFile(_ folder: String, holds name: String, timeout: Duration = .seconds(60)) async throws {
        _ = try await waitUntil(timeout: timeout, "\(name) in the spool") { () async throws -> Bool? in
            FileManager.default.fileExists(atPath: folder + "/" + name) ? true : nil
        }
    }

    static func waitForPrefetcherExit(_ folder: String, timeout: Duration = .seconds(90)) async throws {
        _ = try await waitUntil(timeout: timeout, "the prefetcher of \(folder) to end") { () async throws -> Bool? in
            isLocked(folder) ? nil : true
        }
    }

    /// NUL-separated argv of `pid`, joined with spaces.
    static func commandLine(of pid: pid_t) -> String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// Live `wal-prefetch` processes whose argv names `spool`.
    static func prefetcherProcesses(spool: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter {
            let argv = commandLine(of: $0)
            return argv.contains(" wal-prefetch ") && argv.contains(spool)
        }.sorted()
    }

    /// Every file in the spool folder but the bookkeeping is a complete archived segment.
    static func expectOnlyCompleteSegments(
        _ folder: String, stored: [String: Data], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for file in FaultWorkspace.files(under: folder) where !bookkeeping.contains(file) {
            #expect(stored[file] != nil && fileData(folder + "/" + file) == stored[file],
                    "the spool holds \(file), not a complete archived segment", sourceLocation: sourceLocation)
        }
    }
}
