/// A WAL location (`16/B374D848`), and the segment file holding it.
public struct LSN: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: UInt64

    public init(_ value: UInt64) { self.value = value }

    /// Parses PostgreSQL's `X/Y` text form.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16),
            high <= UInt64(UInt32.max), low <= UInt64(UInt32.max)
        else { return nil }
        value = high << 32 | low
    }

    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    public static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.value < rhs.value }

    /// The segment name and offset of this location on `timeline` (barman's
    /// `location_to_xlogfile_name_offset`).
    public func segment(timeline: Int, segmentSize: Int) -> (name: String, offset: Int) {
        let size = UInt64(max(segmentSize, 1))
        let number = value / size
        let perLog = 0x1_0000_0000 / size
        func hex8(_ v: UInt64) -> String {
            let digits = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
        }
        return (hex8(UInt64(timeline)) + hex8(number / perLog) + hex8(number % perLog), Int(value % size))
    }
}
