/// The long page header PostgreSQL writes at the start of every WAL segment
/// (`XLogLongPageHeaderData` in `access/xlog_internal.h`), read from the segment's first bytes.
///
/// The layout has not changed since PostgreSQL 8.3: a 24-byte `XLogPageHeaderData` (magic, info,
/// timeline, page address, remaining length, padding) followed by the system identifier, the
/// segment size and the WAL block size. Fields are in the writing machine's byte order; every
/// platform PostgreSQL ships WAL from in practice is little-endian, and a big-endian segment
/// simply fails the consistency checks (its page address cannot match its name).
public struct WALPageHeader: Sendable, Equatable {
    /// Bytes of `XLogLongPageHeaderData` (with padding): what must be read to parse it.
    public static let size = 40
    /// `XLP_LONG_HEADER` in `xlp_info`: set on the first page of every segment.
    public static let longHeaderFlag: UInt16 = 0x0002

    public let magic: UInt16
    public let info: UInt16
    public let timeline: UInt32
    public let pageAddress: UInt64
    public let remainingLength: UInt32
    public let systemIdentifier: UInt64
    public let segmentSize: UInt32
    public let blockSize: UInt32

    /// Parses the first `size` bytes of `bytes`; nil when there are fewer.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count >= Self.size else { return nil }
        let raw = Array(bytes.prefix(Self.size))
        func little<T: FixedWidthInteger & UnsignedInteger>(_ offset: Int, as _: T.Type) -> T {
            var value: T = 0
            for index in (0..<MemoryLayout<T>.size).reversed() {
                value = value << 8 | T(raw[offset + index])
            }
            return value
        }
        magic = little(0, as: UInt16.self)
        info = little(2, as: UInt16.self)
        timeline = little(4, as: UInt32.self)
        pageAddress = little(8, as: UInt64.self)
        remainingLength = little(16, as: UInt32.self)
        systemIdentifier = little(24, as: UInt64.self)
        segmentSize = little(32, as: UInt32.self)
        blockSize = little(36, as: UInt32.self)
    }

    public var isLongHeader: Bool { info & Self.longHeaderFlag != 0 }
}
