/// Whether a WAL segment's first page belongs under the name it is archived or restored as.
///
/// Only what is certain is checked, because a false refusal stops archiving and fills `pg_wal`:
/// - the first page carries a long header (`XLP_LONG_HEADER`), as every segment does;
/// - its page address is the segment's start (segment number × segment size) — a segment
///   renamed onto another name fails here;
/// - its segment size is the file's size (for a `.partial`, at least the file's size) and a
///   valid `initdb --wal-segsize`, and its block size a power of two from 1 to 64 KiB;
/// - its timeline is at least 1 and at most the name's. Not equal: the first segment of a new
///   timeline is a copy of the old timeline's segment up to the switch point, so its first page
///   can carry the older timeline id.
///
/// The magic number is not required to be known: a new PostgreSQL major brings a new one, and an
/// otherwise consistent header with an unknown magic is reported as a warning, never refused.
/// `.history` and `.backup` files are text and have no page header.
public enum WALHeaderCheck {
    public enum Verdict: Sendable, Equatable {
        /// Not a segment (`.history`, `.backup`): nothing to check.
        case notApplicable
        /// Consistent with the name; `systemIdentifier` is the cluster that wrote it.
        case consistent(systemIdentifier: UInt64)
        /// Consistent except for a magic number no known PostgreSQL major writes: archive it, but say so.
        case unknownMagic(UInt16, systemIdentifier: UInt64)
        /// The bytes are not this segment; the reason is one line naming the mismatch.
        case mismatch(String)
    }

    /// Judges `firstBytes` (at least `WALPageHeader.size` of them, from the file's start) as the
    /// content of `name`, whose whole content is `fileSize` bytes.
    public static func check(firstBytes: some Collection<UInt8>, name: WALFileName, fileSize: Int) -> Verdict {
        guard name.kind == .segment || name.kind == .partial else { return .notApplicable }
        guard let header = WALPageHeader(firstBytes) else {
            return .mismatch("\(name.name) is \(fileSize) bytes, too short for a WAL page header")
        }
        guard header.isLongHeader else {
            return .mismatch("\(name.name) does not start with a segment's long page header (xlp_info 0x"
                + hex(header.info) + ")")
        }
        let segmentSize = Int(header.segmentSize)
        guard WALSegmentSize.isValid(segmentSize) else {
            return .mismatch("\(name.name) names a segment size of \(segmentSize) bytes in its header, "
                + "which PostgreSQL never uses")
        }
        let sizeAgrees = name.kind == .segment ? segmentSize == fileSize : fileSize <= segmentSize
        if !sizeAgrees {
            return .mismatch("\(name.name) is \(fileSize) bytes but its header says segments are \(segmentSize) bytes")
        }
        let blockSize = Int(header.blockSize)
        guard blockSize >= 1 << 10, blockSize <= 1 << 16, blockSize & (blockSize - 1) == 0 else {
            return .mismatch("\(name.name) names a WAL block size of \(blockSize) bytes in its header, "
                + "which PostgreSQL never uses")
        }
        let segmentsPerLog = UInt64(0x1_0000_0000) / UInt64(segmentSize)
        guard UInt64(name.segment) < segmentsPerLog else {
            return .mismatch("\(name.name) is no segment name for \(segmentSize)-byte segments")
        }
        let expectedAddress = (UInt64(name.log) * segmentsPerLog + UInt64(name.segment)) * UInt64(segmentSize)
        guard header.pageAddress == expectedAddress else {
            return .mismatch("\(name.name) holds the WAL of another segment (page address "
                + "\(LSN(header.pageAddress)), expected \(LSN(expectedAddress)))")
        }
        guard header.timeline >= 1 else {
            return .mismatch("\(name.name) names timeline 0 in its header, which PostgreSQL never uses")
        }
        guard header.timeline <= name.timeline else {
            return .mismatch("\(name.name) holds WAL of timeline \(header.timeline), "
                + "later than its name's timeline \(name.timeline)")
        }
        if WALPageMagic.majorVersion(of: header.magic) == nil {
            return .unknownMagic(header.magic, systemIdentifier: header.systemIdentifier)
        }
        return .consistent(systemIdentifier: header.systemIdentifier)
    }

    static func hex<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

extension WALHeaderCheck.Verdict {
    /// The writing cluster's system identifier, when the header was consistent enough to trust it.
    public var systemIdentifier: UInt64? {
        switch self {
        case .consistent(let id), .unknownMagic(_, let id): id
        case .notApplicable, .mismatch: nil
        }
    }
}
