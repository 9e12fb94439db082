/// Everything verify learned about one timeline's needed WAL: the range, what is stored, what
/// reading each copy gave, and its `.history` file. The checks (`TimelineChecks`) only read this.
public struct TimelineEvidence: Sendable {
    public enum HistoryState: Sendable, Equatable {
        /// Timeline 1 has none, and needs none.
        case notNeeded
        case missing
        case unreadable(key: String, reason: String)
        case good
    }

    public let range: WALRangePlan.Range
    public let index: WALArchiveIndex
    /// Readings by object key.
    public let readings: [String: WALReading]
    public let history: HistoryState

    public init(range: WALRangePlan.Range, index: WALArchiveIndex, readings: [String: WALReading], history: HistoryState) {
        self.range = range
        self.index = index
        self.readings = readings
        self.history = history
    }

    public var timeline: UInt32 { range.timeline }
    public var subject: VerifyFinding.Subject { .timeline(range.timeline) }
    public var numbers: ClosedRange<UInt64> { range.first...range.last }

    /// Every stored copy in the range, in order.
    public var copies: [WALArchiveIndex.Stored] {
        (index.segments[range.timeline] ?? [:]).filter { numbers.contains($0.key) }.sorted { $0.key < $1.key }
            .flatMap { $0.value }
    }
}
