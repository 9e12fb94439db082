/// The order of segment names on one timeline, for a given segment size.
///
/// What follows a segment depends on the size: the last 8 hex digits count segments within one
/// 4 GiB log file id (`XLogSegmentsPerXLogId`), 256 of them for 16 MiB segments and 4096 for
/// 1 MiB ones, so `...000000FF` is followed by `...0100000000` only with 16 MiB segments.
public struct WALSegmentSequence: Sendable, Equatable {
    public let segmentSize: Int

    /// Nil for a size PostgreSQL cannot have (`WALSegmentSize.isValid`).
    public init?(segmentSize: Int) {
        guard WALSegmentSize.isValid(segmentSize) else { return nil }
        self.segmentSize = segmentSize
    }

    public var segmentsPerLog: UInt64 { (UInt64(1) << 32) / UInt64(segmentSize) }

    /// The segment's number (`XLogSegNo`), or nil for a name that is not a segment of this size.
    public func number(of wal: WALFileName) -> UInt64? {
        guard wal.kind == .segment, UInt64(wal.segment) < segmentsPerLog else { return nil }
        return UInt64(wal.log) * segmentsPerLog + UInt64(wal.segment)
    }

    /// The segment `number` on `timeline`, named as PostgreSQL names it (upper-case hex).
    public func name(timeline: UInt32, number: UInt64) -> WALFileName? {
        let log = number / segmentsPerLog
        guard log <= UInt64(UInt32.max) else { return nil }
        let text = Self.hex8(UInt64(timeline)) + Self.hex8(log) + Self.hex8(number % segmentsPerLog)
        return WALFileName(text)
    }

    /// The `count` segments after `wal` on its timeline, in order (fewer at the very end of the
    /// address space; none when `wal` is not a segment of this size).
    public func segments(after wal: WALFileName, count: Int) -> [WALFileName] {
        guard count > 0, let first = number(of: wal) else { return [] }
        var names: [WALFileName] = []
        for offset in 1...UInt64(count) {
            let (number, overflow) = first.addingReportingOverflow(offset)
            guard !overflow, let name = name(timeline: wal.timeline, number: number) else { break }
            names.append(name)
        }
        return names
    }

    private static func hex8(_ value: UInt64) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
