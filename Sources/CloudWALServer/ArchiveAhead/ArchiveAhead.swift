import CloudWAL
import Logging

/// `cloud-wal serve` archiving ahead (`CLOUD_WAL_ARCHIVE_AHEAD=N`): a watcher pushes the
/// segments PostgreSQL has marked `.ready` in `$PGWAL/archive_status`, up to N at a time, so
/// that `/wal-push` from the one-at-a-time `archive_command` usually finds its segment stored.
///
/// It is `wal-archive --parallel`'s look-ahead (`LookAheadArchiver`) driven by a watcher instead
/// of by each call: the same state folder and records (written only once the object is durable,
/// with its SHA-256 and size), the same check of a record against the local file before
/// `/wal-push` answers from it, and PostgreSQL's `archive_status` only read, never renamed.
///
/// Pushes ahead run through the sidecar's `SingleFlight`, keyed by segment, like `/wal-push`: a
/// request that arrives while its segment is pushed ahead joins that upload, and the watcher
/// never starts a segment PostgreSQL is pushing. A push ahead that fails only leaves no record.
///
/// It starts once PostgreSQL has called `/wal-push` since the sidecar started: a sidecar that
/// serves only restores (a standby, a recovered cluster pointed at another archive) never
/// pushes that cluster's WAL into the archive it restores from.
///
/// The watcher polls (every `interval`, at once when `/wal-push` is called, and when a push
/// ends) rather than using inotify: a listing of `archive_status` costs microseconds, a poll
/// cannot miss an event or overflow, and waiting on inotify would need a thread of its own
/// outside Swift's cooperative pool.
public actor ArchiveAhead {
    public nonisolated let concurrency: Int
    public nonisolated let walDirectory: String
    public nonisolated let lookAhead: LookAheadArchiver
    nonisolated let pushes: SingleFlight<WALPushResult>
    nonisolated let interval: Duration
    private let logger: Logger
    private var book: AheadBook
    private var counters = AheadCounters()
    /// Set by the first `/wal-push` (see the type's comment).
    private var active = false
    /// Whether the state folder was usable at the last try (each change is logged once).
    private var stateUsable: Bool?
    private var statusReadable: Bool?
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public init(
        lookAhead: LookAheadArchiver, concurrency: Int, walDirectory: String, pushes: SingleFlight<WALPushResult>,
        interval: Duration = .milliseconds(100), logger: Logger
    ) {
        self.concurrency = concurrency
        self.walDirectory = walDirectory
        self.lookAhead = lookAhead
        self.pushes = pushes
        self.interval = interval
        self.logger = logger
        book = AheadBook(concurrency: concurrency)
        // One pending wake-up is enough: a scan sees everything that happened before it.
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: - The watcher

    /// Scans and pushes until cancelled (the sidecar cancels it on graceful shutdown); then
    /// starts nothing new and returns once the pushes in flight have finished (each records
    /// its segment only if it became durable).
    public func run() async {
        let interval = self.interval
        let wake = self.wake
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    wake.yield()
                    try? await Task.sleep(for: interval)
                }
            }
            // Ends when the task is cancelled.
            for await _ in wakeups {
                for wal in await scan() {
                    group.addTask { await self.push(wal) }
                }
            }
            group.cancelAll()
        }
    }

    /// Asks for a scan now: PostgreSQL has just asked for a segment, so later ones are likely ready.
    public nonisolated func nudge() { wake.yield() }

    /// One look at `archive_status`: the segments to start now (marked in flight).
    func scan() async -> [WALFileName] {
        guard active, prepareState(), let ready = readReady() else { return [] }
        let busy = Set(await pushes.keys)
        let recorded = lookAhead.state.recordedSegments()
        return book.choose(ready: ready, recorded: recorded, busy: busy, now: .now)
    }

    /// One push ahead, in the shared `SingleFlight` (so `/wal-push` can join it); the record is
    /// written inside, once the object is durable, before anyone waiting is answered.
    private func push(_ wal: WALFileName) async {
        // Chosen just before shutdown: nothing new starts once it has begun.
        guard !Task.isCancelled else {
            book.finished(wal.name, .notStarted, now: .now)
            return
        }
        let lookAhead = self.lookAhead
        let directory = walDirectory
        let result: AheadBook.Result
        do {
            let started = try await pushes.runIfIdle(wal.name) {
                let archived: WALArchiver.Archived?
                do {
                    archived = try await lookAhead.pushAhead(wal, walDirectory: directory, segmentSize: nil)
                } catch {
                    throw ArchiveAheadFailure(segment: wal.name, underlying: error)
                }
                guard let archived else { throw ArchiveAheadFailure(segment: wal.name, underlying: nil) }
                return WALPushResult(outcome: archived.outcome, startedAhead: true)
            }
            if let started {
                counters.pushed += 1
                if case .archived(_, let size, _) = started.outcome { counters.pushedBytes += size }
                result = .stored
            } else {
                result = .notStarted
            }
        } catch let failure as ArchiveAheadFailure where failure.underlying == nil {
            result = .skipped
        } catch {
            counters.failed += 1
            logger.warning("\(error) (PostgreSQL will ask for \(wal.name) itself)")
            result = .failed
        }
        book.finished(wal.name, result, now: .now)
        wake.yield()
    }

    /// A state folder we cannot use turns pushing ahead off until it can be used.
    private func prepareState() -> Bool {
        let usable: Bool
        do {
            try lookAhead.state.prepare()
            usable = true
        } catch {
            usable = false
            if stateUsable != false {
                logger.warning("Not archiving ahead: cannot use the state directory \(lookAhead.state.directory): \(error)")
            }
        }
        if usable, stateUsable == false { logger.notice("Archiving ahead again: \(lookAhead.state.directory) is usable") }
        stateUsable = usable
        return usable
    }

    private func readReady() -> [WALFileName]? {
        let ready = ReadySegments.all(inWALDirectory: walDirectory)
        if ready == nil, statusReadable != false {
            // Normal before PostgreSQL's first start; the watcher keeps looking.
            logger.info("Not archiving ahead yet: cannot read \(ReadySegments.statusDirectory(ofWALDirectory: walDirectory))")
        }
        statusReadable = ready != nil
        return ready
    }

    // MARK: - What /wal-push asks

    /// PostgreSQL asked for `segment`: the watcher leaves it alone from now on (also when its
    /// record is consumed a moment later, before PostgreSQL renames the `.ready`).
    public func settle(_ segment: String) {
        book.settle(segment)
        active = true
    }

    /// Whether PostgreSQL has called `/wal-push`, so the watcher pushes ahead.
    public var isActive: Bool { active }

    /// The key `wal` was stored under ahead, when its record matches the local file; the record
    /// is consumed either way (`LookAheadArchiver.checkRecord`). Hashes the file outside the actor.
    public nonisolated func answerFromRecord(_ wal: WALFileName) async -> String? {
        let state = lookAhead.state
        state.removeStale(before: wal.name)
        let check = lookAhead.checkRecord(for: wal.name, walPath: walDirectory + "/" + wal.name)
        await counted(check)
        guard case .matches(let key) = check else { return nil }
        return key
    }

    private func counted(_ check: LookAheadArchiver.RecordCheck) {
        switch check {
        case .matches: counters.answeredFromRecord += 1
        case .otherContent: counters.recordsIgnored += 1
        case .none: break
        }
    }

    /// A `/wal-push` joined a push ahead that succeeded: its record is spent.
    public func joined(_ segment: String) {
        counters.joined += 1
        try? lookAhead.state.remove(segment)
    }

    // MARK: - Reporting

    public var statistics: AheadCounters { counters }

    public var inFlight: [String] { book.inFlight.sorted() }

    public func statusJSON() -> JSONText {
        counters.json(
            active: active, concurrency: concurrency, stateDirectory: lookAhead.state.directory, inFlight: inFlight)
    }

    public func prometheusText() -> String { counters.prometheusText(inFlight: book.inFlight.count) }
}
