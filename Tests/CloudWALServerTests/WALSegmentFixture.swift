import Foundation

/// Synthetic WAL segments for the server's tests: pseudo-random bytes behind the long page
/// header PostgreSQL 15 writes, since the archiver refuses a segment whose first page is not
/// that segment's. The header comes from `WALSegmentHeader.swift`, the integration tests' file,
/// linked into this target (test targets share no code otherwise).
enum WALSegmentFixture {
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
        let header = WALSegmentHeader.bytes(for: name, segmentSize: size)
        bytes.replaceSubrange(0..<header.count, with: header)
        return bytes
    }
}
