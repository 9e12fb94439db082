import Foundation

/// Synthetic WAL segments for the server's tests: pseudo-random bytes behind the long page
/// header PostgreSQL 15 writes, since the archiver refuses a segment whose first page is not
/// that segment's (as `Tests/IntegrationTests/Support/WALSegmentHeader.swift` does there).
enum WALSegmentFixture {
    static let systemIdentifier: UInt64 = 7_301_234_567_890_123_456

    /// `size` bytes (a valid segment size) for segment `name`, different for every seed.
    static func bytes(_ name: String, seed: UInt64, size: Int = 1 << 20) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        for index in bytes.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
        let header = header(for: name, segmentSize: size)
        bytes.replaceSubrange(0..<header.count, with: header)
        return bytes
    }

    /// The 40 bytes of the long page header for segment `name`.
    static func header(for name: String, segmentSize: Int) -> [UInt8] {
        let hex = Array(name.utf8.prefix(24))
        func field(_ range: Range<Int>) -> UInt64 {
            guard hex.count == 24 else { return 0 }
            return UInt64(String(decoding: hex[range], as: UTF8.self), radix: 16) ?? 0
        }
        let perLog = UInt64(0x1_0000_0000) / UInt64(max(segmentSize, 1))
        let address = (field(8..<16) * perLog + field(16..<24)) * UInt64(segmentSize)
        var out: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        append(UInt16(0xD110))  // PostgreSQL 15's page magic
        append(UInt16(0x0002))  // XLP_LONG_HEADER
        append(UInt32(truncatingIfNeeded: field(0..<8)))
        append(address)
        append(UInt64(0))  // xlp_rem_len and padding
        append(systemIdentifier)
        append(UInt32(truncatingIfNeeded: segmentSize))
        append(UInt32(8192))
        return out
    }
}
