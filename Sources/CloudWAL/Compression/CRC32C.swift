/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of snappy's framing format.
///
/// Slicing-by-8: eight 256-entry tables let the loop fold eight input bytes per step instead of
/// one, which is what keeps checksumming a 16 MiB segment cheap next to snappy itself.
public enum CRC32C: Sendable {
    /// Tables laid out back to back (table k at offset 256 * k). Built once, lazily and
    /// thread-safely, because `static let` initialisation is atomic.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var crc = UInt32(n)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[n] = crc
        }
        for n in 0..<256 {
            var crc = tables[n]
            for k in 1..<8 {
                crc = (crc >> 8) ^ tables[Int(crc & 0xFF)]
                tables[k * 256 + n] = crc
            }
        }
        return tables
    }()

    /// Continues a checksum: pass the previous result as `crc` to checksum data in pieces.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return tables.withUnsafeBufferPointer { t in
            var crc = ~crc
            var p = base
            var left = bytes.count
            while left >= 8 {
                // Little-endian loads match the reflected CRC's bit order on every platform.
                let lo = UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)) ^ crc
                let hi = UInt32(littleEndian: (p + 4).loadUnaligned(as: UInt32.self))
                crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                p += 8
                left -= 8
            }
            while left > 0 {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xFF)]
                p += 1
                left -= 1
            }
            return ~crc
        }
    }

    /// Checksum of a byte array.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// The masked form snappy stores: rotating and offsetting keeps a CRC of data that itself
    /// contains CRCs from being degenerate.
    public static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// Masked CRC-32C of `bytes`, as written in a snappy chunk.
    public static func maskedChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        mask(checksum(bytes))
    }
}
