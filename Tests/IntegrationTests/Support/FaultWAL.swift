import Foundation

/// WAL segments for the fault suites whose page headers are PostgreSQL 15's and match their
/// names (so content checks on archive and restore accept them): 1 MiB segments on timeline 1,
/// log 0, each page's `xlp_pageaddr` = segment number x segment size + page offset, the first
/// page a long header with a system identifier, segment size and block size.
enum FaultWAL {
    static let segmentSize = 1 << 20
    static let pageSize = 8192
    static let systemIdentifier: UInt64 = 7_311_234_567_890_123_456

    /// `000000010000000000000XXX` for segment number `number` (< 4096, so log 0 either way).
    static func name(_ number: Int) -> String {
        "00000001" + "00000000" + String(format: "%08X", number)
    }

    static func segment(_ number: Int, seed: UInt64) -> Data {
        var bytes = [UInt8](repeating: 0, count: segmentSize)
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { raw in
                for (index, byte) in raw.enumerated() { bytes[offset + index] = byte }
            }
        }
        var page = 0
        while page < segmentSize {
            let first = page == 0
            put(UInt16(0xD110), at: page)                               // xlp_magic (PostgreSQL 15)
            put(UInt16(first ? 0x0002 : 0x0000), at: page + 2)          // xlp_info: XLP_LONG_HEADER
            put(UInt32(1), at: page + 4)                                // xlp_tli
            put(UInt64(number * segmentSize + page), at: page + 8)      // xlp_pageaddr
            put(UInt32(0), at: page + 16)                               // xlp_rem_len
            var body = page + 24
            if first {
                put(systemIdentifier, at: 24)                           // xlp_sysid
                put(UInt32(segmentSize), at: 32)                        // xlp_seg_size
                put(UInt32(pageSize), at: 36)                           // xlp_xlog_blcksz
                body = 40
            }
            // Record-like noise then zero padding, different for every seed.
            for index in body..<(page + 2048) {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                bytes[index] = UInt8(truncatingIfNeeded: state)
            }
            page += pageSize
        }
        return Data(bytes)
    }
}
