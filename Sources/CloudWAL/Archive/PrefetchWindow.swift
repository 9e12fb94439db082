/// Which segments a prefetcher keeps ready: the `depth` segments after the newest request, on
/// the request's own timeline. Pure bookkeeping, shared by `wal-restore -p`'s background
/// prefetcher and the sidecar's in-process one.
///
/// Only exact names count: a segment of another timeline is never "the same" segment, so a
/// window never hands one over in another's place, it only removes it as out of window.
public struct PrefetchWindow: Sendable, Equatable {
    /// The newest request (the segment PostgreSQL asked for last).
    public let newest: WALFileName
    /// The segments to hold, in the order PostgreSQL will ask for them.
    public let wanted: [WALFileName]
    public let sequence: WALSegmentSequence

    public init(newest: WALFileName, sequence: WALSegmentSequence, depth: Int) {
        self.newest = newest
        self.sequence = sequence
        wanted = sequence.segments(after: newest, count: depth)
    }

    /// What to do given what is spooled, what is being fetched and what is known to be absent.
    public struct Plan: Sendable, Equatable {
        /// Segments to start fetching, nearest first.
        public var fetch: [String]
        /// Spooled segments outside the window, to remove.
        public var remove: [String]
    }

    /// Whether a spooled segment may stay: the newest request (a call may be moving it out at
    /// this moment) and the wanted ones. Everything else is older than the newest request, or
    /// of another timeline, or further ahead than the window, and would only grow the spool.
    public func keeps(_ name: String) -> Bool {
        name == newest.name || wanted.contains { $0.name == name }
    }

    /// - Parameters:
    ///   - spooled: segment names complete in the spool.
    ///   - inFlight: segment names being fetched now.
    ///   - skipped: names not to fetch again (a failed fetch: the call downloads it itself).
    ///   - end: the first segment known to be missing from the archive; it and everything after
    ///     it on its timeline are not fetched (the end of the archive, for now).
    ///   - limit: how many fetches may run at once; `inFlight` counts against it.
    public func plan(
        spooled: Set<String>, inFlight: Set<String>, skipped: Set<String> = [], end: WALFileName? = nil,
        limit: Int
    ) -> Plan {
        var fetch: [String] = []
        var running = inFlight.count
        for wal in wanted where running < limit {
            if let end, isAtOrAfter(wal, end) { break }
            guard !spooled.contains(wal.name), !inFlight.contains(wal.name), !skipped.contains(wal.name) else { continue }
            fetch.append(wal.name)
            running += 1
        }
        let remove = spooled.filter { !keeps($0) }.sorted()
        return Plan(fetch: fetch, remove: remove)
    }

    /// Whether every wanted segment is spooled: nothing left to fetch for this window.
    public func isComplete(spooled: Set<String>) -> Bool {
        wanted.allSatisfy { spooled.contains($0.name) }
    }

    private func isAtOrAfter(_ wal: WALFileName, _ end: WALFileName) -> Bool {
        guard wal.timeline == end.timeline, let a = sequence.number(of: wal), let b = sequence.number(of: end) else {
            return false
        }
        return a >= b
    }
}
