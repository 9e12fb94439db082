/// Which WAL each timeline must hold, worked out from the verified backups, the `.history` files
/// and what is stored; no I/O, so every rule is tested on its own.
///
/// - A timeline a backup was taken on needs everything from the earliest such backup's begin WAL.
/// - A later timeline whose history leaves a backup's timeline at or after that backup's begin
///   (so recovery from the backup can follow it) needs everything from the segment it branched in.
/// - Each of them needs everything up to its newest stored segment, up to the end WAL of its
///   backups, and, for a timeline another needed one branched from, up to the segment before the
///   switch (the switch segment's first part is copied into the new timeline's first segment).
public struct WALRangePlan: Sendable, Equatable {
    /// What a verified backup needs from the WAL.
    public struct BackupSpan: Sendable, Equatable {
        public let backupID: String
        public let timeline: UInt32
        public let begin: UInt64
        public let end: UInt64
        public let beginLSN: LSN
        public let systemIdentifier: UInt64?

        public init(backupID: String, timeline: UInt32, begin: UInt64, end: UInt64, beginLSN: LSN, systemIdentifier: UInt64?) {
            self.backupID = backupID
            self.timeline = timeline
            self.begin = begin
            self.end = end
            self.beginLSN = beginLSN
            self.systemIdentifier = systemIdentifier
        }
    }

    /// The segments one timeline must hold, inclusive.
    public struct Range: Sendable, Equatable {
        public let timeline: UInt32
        public let first: UInt64
        public let last: UInt64
        /// The cluster whose WAL this is, from the backups that need it.
        public let systemIdentifier: UInt64?

        public init(timeline: UInt32, first: UInt64, last: UInt64, systemIdentifier: UInt64?) {
            self.timeline = timeline
            self.first = first
            self.last = last
            self.systemIdentifier = systemIdentifier
        }
    }

    public let ranges: [Range]

    public init(backups: [BackupSpan], histories: [UInt32: TimelineHistory], index: WALArchiveIndex) {
        let segmentSize = UInt64(index.sequence.segmentSize)
        let timelines = Set(backups.map(\.timeline)).union(index.segmentTimelines).union(histories.keys)

        // The first needed segment of every needed timeline, and whose WAL it is.
        var starts: [UInt32: (first: UInt64, systemIdentifier: UInt64?)] = [:]
        for timeline in timelines {
            var first: UInt64?
            var systemIdentifier: UInt64?
            for backup in backups where backup.timeline == timeline {
                if first.map({ backup.begin < $0 }) ?? true {
                    first = backup.begin
                    systemIdentifier = backup.systemIdentifier
                }
            }
            if let history = histories[timeline], let parent = history.parent {
                let followed = backups.filter { backup in
                    backup.timeline != timeline
                        && history.switchpoint(leaving: backup.timeline).map { $0 >= backup.beginLSN } == true
                }
                if let backup = followed.first {
                    let branch = parent.switchpoint.value / segmentSize
                    if first.map({ branch < $0 }) ?? true { first = branch }
                    systemIdentifier = systemIdentifier ?? backup.systemIdentifier
                }
            }
            if let first { starts[timeline] = (first, systemIdentifier) }
        }

        var ranges: [Range] = []
        for timeline in starts.keys.sorted() {
            guard let start = starts[timeline] else { continue }
            var last = index.newestSegment(on: timeline)
            func extend(_ number: UInt64) { last = max(last ?? number, number) }
            for backup in backups where backup.timeline == timeline { extend(backup.end) }
            for (child, history) in histories where starts[child] != nil {
                guard let parent = history.parent, parent.timeline == timeline else { continue }
                let branch = parent.switchpoint.value / segmentSize
                if branch > start.first { extend(branch - 1) }
            }
            guard let last, last >= start.first else { continue }
            ranges.append(Range(timeline: timeline, first: start.first, last: last, systemIdentifier: start.systemIdentifier))
        }
        self.ranges = ranges
    }

    /// Every timeline > 1 whose segments a needed range holds or a backup was taken on: each
    /// needs its `.history` file, which recovery reads before any of its segments.
    public func timelinesNeedingHistory(backups: [BackupSpan]) -> [UInt32] {
        Set(ranges.map(\.timeline) + backups.map(\.timeline)).filter { $0 > 1 }.sorted()
    }
}

/// Runs of missing segments.
public enum WALGaps {
    /// The segment numbers in `first...last` on `timeline` that `index` holds in no form, as
    /// inclusive runs in order.
    public static func missing(in range: ClosedRange<UInt64>, on timeline: UInt32, index: WALArchiveIndex) -> [ClosedRange<UInt64>] {
        var runs: [ClosedRange<UInt64>] = []
        var runStart: UInt64?
        var number = range.lowerBound
        while true {
            if index.holds(number, on: timeline) {
                if let start = runStart { runs.append(start...(number - 1)) }
                runStart = nil
            } else if runStart == nil {
                runStart = number
            }
            if number == range.upperBound { break }
            number += 1
        }
        if let start = runStart { runs.append(start...range.upperBound) }
        return runs
    }

    /// `000000010000000000000007` or `000000010000000000000007 to ...09 (3 segments)`.
    public static func describe(_ run: ClosedRange<UInt64>, on timeline: UInt32, sequence: WALSegmentSequence) -> String {
        let first = sequence.name(timeline: timeline, number: run.lowerBound)?.name ?? "?"
        guard run.upperBound > run.lowerBound else { return first }
        let last = sequence.name(timeline: timeline, number: run.upperBound)?.name ?? "?"
        return "\(first) to \(last) (\(run.upperBound - run.lowerBound + 1) segments)"
    }
}
