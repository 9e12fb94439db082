import CloudWAL

/// What the sidecar's look-ahead watcher remembers between scans of `archive_status`, and the
/// decision it makes on each: which ready segments to start pushing now. Pure (no files, no
/// store, the time passed in), so every decision is tested without either.
///
/// Memory stays bounded: every set but `inFlight` is cut down to the names still marked ready
/// at each scan (PostgreSQL renames a `.ready` once it has archived the segment, so a name no
/// longer ready is done for good), and `inFlight` holds at most `concurrency` names.
public struct AheadBook: Sendable, Equatable {
    /// How one push ahead ended, for `finished(_:_:now:)`.
    public enum Result: Sendable, Equatable {
        /// Durable in the archive (and recorded, unless the record could not be written).
        case stored
        /// Another upload of the segment was already running (PostgreSQL's own push).
        case notStarted
        /// No longer marked ready when its turn came: PostgreSQL archived it meanwhile.
        case skipped
        case failed
    }

    /// Pushes ahead in progress (started by `choose`, not yet `finished`).
    public private(set) var inFlight: Set<String> = []
    /// Segments pushed ahead, or asked for by PostgreSQL, that are still marked ready: never
    /// pushed ahead (again). PostgreSQL's `.ready` outlives its push by a moment, and pushing in
    /// that moment would store nothing new and leave a record nobody consumes.
    public private(set) var settled: Set<String> = []
    /// Segments whose push ahead failed, and when they may be tried again.
    public private(set) var retryAt: [String: ContinuousClock.Instant] = [:]
    /// After any failure, nothing new starts before this: a failing store is not hammered (the
    /// archiver's own pushes go on, and report the failure to PostgreSQL).
    public private(set) var pausedUntil: ContinuousClock.Instant?

    public let concurrency: Int
    /// How long a segment whose push ahead failed is left to PostgreSQL alone.
    public let retryDelay: Duration
    /// How long no push ahead starts after a failure.
    public let failurePause: Duration

    public init(concurrency: Int, retryDelay: Duration = .seconds(10), failurePause: Duration = .seconds(2)) {
        self.concurrency = max(0, concurrency)
        self.retryDelay = retryDelay
        self.failurePause = failurePause
    }

    /// The segments to start now, oldest first, marked in flight: marked ready, full segments
    /// only (`ReadySegments.all` gives no others), not being pushed by anyone (`busy`: the
    /// uploads running in the sidecar), not recorded (stored ahead, waiting for PostgreSQL), not
    /// settled, not waiting to be retried; at most as many as free slots.
    public mutating func choose(
        ready: [WALFileName], recorded: Set<String>, busy: Set<String>, now: ContinuousClock.Instant
    ) -> [WALFileName] {
        let readyNames = Set(ready.map(\.name))
        settled.formIntersection(readyNames)
        retryAt = retryAt.filter { readyNames.contains($0.key) && $0.value > now }
        if let pausedUntil, pausedUntil <= now { self.pausedUntil = nil }
        guard pausedUntil == nil else { return [] }
        var free = concurrency - inFlight.count
        var chosen: [WALFileName] = []
        for wal in ready where free > 0 {
            let name = wal.name
            guard !inFlight.contains(name), !busy.contains(name), !recorded.contains(name), !settled.contains(name),
                retryAt[name] == nil
            else { continue }
            chosen.append(wal)
            inFlight.insert(name)
            free -= 1
        }
        return chosen
    }

    /// A push ahead of `segment` ended.
    public mutating func finished(_ segment: String, _ result: Result, now: ContinuousClock.Instant) {
        inFlight.remove(segment)
        switch result {
        case .stored, .skipped:
            settled.insert(segment)
        case .notStarted:
            // PostgreSQL's own push runs: `settle` was called for it.
            break
        case .failed:
            retryAt[segment] = now + retryDelay
            pausedUntil = now + failurePause
        }
    }

    /// PostgreSQL asked for `segment` (`/wal-push`): from now on it is PostgreSQL's.
    public mutating func settle(_ segment: String) {
        settled.insert(segment)
    }
}
