/// The newest segment PostgreSQL asked for, as `wal-restore` records it in the spool for the
/// background prefetcher: one line, `<segment name> <segment size>`.
///
/// Written only after the segment is durable at `%p`, so a probe for a file that does not exist
/// (a newer timeline's segment, the end of the archive) never moves the window. The record is
/// a hint: a lost or garbled one costs only prefetching, never a wrong hand-over, because the
/// spool hands over by exact name and checks every file again.
public struct SpoolRequest: Sendable, Equatable {
    public let wal: WALFileName
    public let segmentSize: Int

    public init?(wal: WALFileName, segmentSize: Int) {
        guard wal.kind == .segment, WALSegmentSize.isValid(segmentSize) else { return nil }
        self.wal = wal
        self.segmentSize = segmentSize
    }

    /// Parses the record's text; nil for anything but exactly one valid line.
    public init?(parsing text: String) {
        let line = text.hasSuffix("\n") ? text.dropLast() : Substring(text)
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2, let wal = WALFileName(String(fields[0])), let size = Int(fields[1]) else { return nil }
        self.init(wal: wal, segmentSize: size)
    }

    public var text: String { "\(wal.name) \(segmentSize)\n" }

    public var sequence: WALSegmentSequence? { WALSegmentSequence(segmentSize: segmentSize) }

    public func window(depth: Int) -> PrefetchWindow? {
        sequence.map { PrefetchWindow(newest: wal, sequence: $0, depth: depth) }
    }
}
