import Foundation

/// The long page header PostgreSQL 15 writes at the start of a segment, for synthetic segments
/// (also linked into CloudWALServerTests, which has no other way to share it):
/// cloud-wal refuses to archive or restore a segment whose first page is not that segment's.
enum WALSegmentHeader {
    /// A system identifier no real test cluster has.
    static let systemIdentifier: UInt64 = 7_301_234_567_890_123_456

    /// The 40 header bytes for segment `name` (a segment or `.partial` name) of `segmentSize`.
    static func bytes(
        for name: String, segmentSize: Int, systemIdentifier: UInt64 = systemIdentifier, magic: UInt16 = 0xD110
    ) -> [UInt8] {
        let hex = Array(name.utf8.prefix(24))
        func field(_ range: Range<Int>) -> UInt64 {
            guard hex.count == 24 else { return 0 }
            return UInt64(String(decoding: hex[range], as: UTF8.self), radix: 16) ?? 0
        }
        let perLog = UInt64(0x1_0000_0000) / UInt64(max(segmentSize, 1))
        let address = (field(8..<16) * perLog + field(16..<24)) * UInt64(segmentSize)
        var out: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        append(magic)
        append(UInt16(0x0002))  // XLP_LONG_HEADER
        append(UInt32(truncatingIfNeeded: field(0..<8)))
        append(address)
        append(UInt64(0))  // xlp_rem_len and padding
        append(systemIdentifier)
        append(UInt32(truncatingIfNeeded: segmentSize))
        append(UInt32(8192))
        return out
    }

    /// `data` with its first 40 bytes replaced by `name`'s header.
    static func stamped(_ data: Data, as name: String, systemIdentifier: UInt64 = systemIdentifier) -> Data {
        var copy = data
        let header = bytes(for: name, segmentSize: data.count, systemIdentifier: systemIdentifier)
        copy.replaceSubrange(0..<header.count, with: header)
        return copy
    }
}
