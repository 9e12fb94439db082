#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The background half of `wal-restore -p N`: keeps the `N-1` segments after the newest
/// request ready in the spool, so PostgreSQL's next `restore_command` calls find them there.
///
/// One per spool folder (`SpoolLock`); a second one returns `.alreadyRunning` at once. It reads
/// the newest request the calls record (`SpoolRequest`), fetches what the window lacks, nearest
/// first, with up to `concurrency` downloads at a time, and removes spooled segments outside the window so the spool
/// stays bounded. Every file it writes goes through `WALRestorer.download` (temporary file,
/// codec checks, recorded SHA-256, header and cluster checks, rename), so a killed prefetcher
/// leaves only temporary files, which no call hands over and the next call removes. It does not
/// fsync them: it first records the boot it writes in (`SpoolBootMark`).
///
/// It ends at the end of the archive (a segment of the window is missing: the next call that
/// finds it archived starts a new prefetcher), when every remaining fetch failed (the calls
/// then download themselves and report the real error), when the spool folder is gone, or
/// after `idleLimit` without a new request while the window is complete.
public struct SpoolPrefetcher: Sendable {
    public enum Ending: Sendable, Equatable {
        case alreadyRunning
        /// The spool cannot be prepared or locked.
        case unusableSpool(String)
        case endOfArchive(String)
        case fetchesFailed
        case idle
        case spoolRemoved
    }

    public let restorer: WALRestorer
    public let spool: WALSpool
    public let idleLimit: Duration
    /// How often the request record is looked at; one `stat` and a small read.
    public let pollInterval: Duration

    /// How many downloads run at once.
    public let concurrency: Int

    /// `concurrency` defaults to the window's depth for a cloud store, whose fetches wait on the
    /// network. From local disk a fetch is all CPU and disk (read, SHA-256, write), so more at
    /// once than half the cores only takes them from PostgreSQL's replay, which is what the
    /// prefetching is for: one at a time on two cores still keeps well ahead of it.
    public init?(
        restorer: WALRestorer, idleLimit: Duration = .seconds(60), pollInterval: Duration = .milliseconds(20),
        concurrency: Int? = nil
    ) {
        guard let spool = restorer.spool, spool.depth > 0 else { return nil }
        self.restorer = restorer
        self.spool = spool
        self.idleLimit = idleLimit
        self.pollInterval = pollInterval
        let local = restorer.store is FileSystemStore
        let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        self.concurrency = max(1, min(spool.depth, concurrency ?? (local ? max(1, cores / 2) : spool.depth)))
    }

    private var logger: Logger { restorer.logger }

    private enum Event: Sendable {
        case tick
        case stored(String)
        case missing(String)
        case failed(String, String)
    }

    public func run() async -> Ending {
        let lock: SpoolLock
        let unsynced: Bool
        do {
            try spool.prepare()
            guard let acquired = try SpoolLock.acquire(in: spool.directory) else { return .alreadyRunning }
            lock = acquired
            unsynced = try spool.claimForThisBoot()
        } catch {
            return .unusableSpool("\(error)")
        }
        let ending = await loop(durable: !unsynced)
        logger.info("Prefetcher for \(spool.directory) stops: \(ending)")
        withExtendedLifetime(lock) {}
        return ending
    }

    /// What the loop knows between events.
    private struct State {
        var request: SpoolRequest?
        var lastRequestAt = ContinuousClock.now
        var inFlight: Set<String> = []
        /// Fetches that failed since the newest request; the calls download these themselves.
        var failed: Set<String> = []
        /// The first segment found missing: the end of the archive, for now.
        var end: WALFileName?
        /// Set once the prefetcher decided to stop; running fetches still finish.
        var ending: Ending?

        mutating func apply(_ event: Event) {
            switch event {
            case .tick:
                break
            case .stored(let name):
                inFlight.remove(name)
            case .missing(let name):
                inFlight.remove(name)
                if let wal = WALFileName(name), end.map({ wal.name < $0.name }) ?? true { end = wal }
                // Named by the first missing segment, whichever fetch noticed first.
                switch ending {
                case nil, .endOfArchive: ending = end.map { .endOfArchive($0.name) }
                default: break
                }
            case .failed(let name, _):
                inFlight.remove(name)
                failed.insert(name)
            }
        }
    }

    private func loop(durable: Bool) async -> Ending {
        let cluster = restorer.clusterSystemIdentifier()
        let depth = spool.depth
        return await withTaskGroup(of: Event.self) { group in
            var state = State()
            group.addTask { await tick(pollInterval) }
            while let event = await group.next() {
                state.apply(event)
                if case .failed(let name, let reason) = event { logger.warning("Prefetching \(name) failed: \(reason)") }
                if case .tick = event { observe(&state) }
                for wal in plan(&state, depth: depth) {
                    state.inFlight.insert(wal.name)
                    group.addTask { await fetch(wal, cluster: cluster, durable: durable) }
                }
                if let ending = state.ending, state.inFlight.isEmpty {
                    group.cancelAll()
                    return ending
                }
                if case .tick = event { group.addTask { await tick(pollInterval) } }
            }
            return state.ending ?? .idle
        }
    }

    /// Reads the world on each tick: the spool folder's presence and the newest request.
    private func observe(_ state: inout State) {
        guard FileSystemOps.isDirectory(spool.directory) else {
            state.ending = state.ending ?? .spoolRemoved
            return
        }
        if let newest = spool.newestRequest(), newest != state.request {
            state.request = newest
            state.lastRequestAt = .now
            // A new request may find what an earlier one could not (a passing fault).
            state.failed = []
        }
    }

    /// Removes what is outside the window and returns the fetches to start; decides to stop
    /// when nothing is left to do.
    private func plan(_ state: inout State, depth: Int) -> [WALFileName] {
        guard let window = state.request?.window(depth: depth) else {
            if state.ending == nil, ContinuousClock.now - state.lastRequestAt > idleLimit { state.ending = .idle }
            return []
        }
        let spooled = spool.spooledSegments()
        let plan = window.plan(
            spooled: spooled, inFlight: state.inFlight, skipped: state.failed, end: state.end,
            limit: state.ending == nil ? concurrency : 0)
        for name in plan.remove {
            try? FileSystemOps.remove(spool.path(for: name))
            logger.debug("Removed \(name) from the spool: outside the window after \(window.newest.name)")
        }
        if state.ending == nil, state.inFlight.isEmpty, plan.fetch.isEmpty {
            if !state.failed.isEmpty, !window.isComplete(spooled: spooled) {
                state.ending = .fetchesFailed
            } else if ContinuousClock.now - state.lastRequestAt > idleLimit {
                state.ending = .idle
            }
        }
        return plan.fetch.compactMap(WALFileName.init)
    }

    private func tick(_ interval: Duration) async -> Event {
        try? await Task.sleep(for: interval)
        return .tick
    }

    /// Fetches one complete segment into the spool (never its `.partial`: a partial is served
    /// only to the call that asks for it, from the archive).
    /// `durable` only where the boot id is unknown (`SpoolBootMark`).
    private func fetch(_ wal: WALFileName, cluster: UInt64?, durable: Bool) async -> Event {
        do {
            guard let located = try await restorer.locate(wal, allowPartial: false) else { return .missing(wal.name) }
            _ = try await restorer.download(
                located, as: wal.name, to: spool.path(for: wal.name), expectSegment: true, cluster: cluster,
                durable: durable)
            logger.debug("Prefetched \(wal.name) into \(spool.directory)")
            return .stored(wal.name)
        } catch {
            return .failed(wal.name, "\(error)")
        }
    }
}
