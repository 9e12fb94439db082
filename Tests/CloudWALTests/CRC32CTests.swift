import CloudWAL
import Testing

@Suite("CRC-32C")
struct CRC32CTests {
    static let knownVectors: [([UInt8], UInt32, UInt32)] = [
        (Array("123456789".utf8), 0xE306_9283, 0xC78A_B0E5),
        ([], 0, 0xA282_EAD8),
        ([UInt8](repeating: 0, count: 32), 0x8A91_36AA, 0x0FD7_FFFA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43, 0xF909_B029),
        ((0..<32).map(UInt8.init), 0x46DD_794E, 0x951F_7892),
        ([0x61], 0xC1D0_4330, 0x28E4_6E78),
    ]

    @Test("Known vectors (RFC 3720 and the check value)", arguments: knownVectors)
    func vectors(input: [UInt8], crc: UInt32, masked: UInt32) {
        #expect(CRC32C.checksum(input) == crc)
        #expect(CRC32C.mask(crc) == masked)
        #expect(input.withUnsafeBytes { CRC32C.maskedChecksum($0) } == masked)
    }

    /// Bit-at-a-time reference, to check the slicing tables at every length and alignment.
    static func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test("Slicing-by-8 matches the bitwise definition at every length and offset")
    func matchesReference() {
        let data = CodecTestData.wal(count: 300, seed: 5)
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 13) {
                let slice = data[start..<end]
                let fast = slice.withUnsafeBytes { CRC32C.checksum($0) }
                #expect(fast == Self.reference(slice), "\(start)..<\(end)")
            }
        }
    }

    @Test("Checksums continue across pieces")
    func continuing() {
        let data = CodecTestData.small
        let whole = CRC32C.checksum(data)
        let split = data.withUnsafeBytes { all in
            let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[0..<12345]))
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[12345...]), continuing: first)
        }
        #expect(split == whole)
    }
}
