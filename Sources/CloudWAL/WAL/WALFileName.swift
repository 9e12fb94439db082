/// A file name PostgreSQL hands to `archive_command` / `restore_command`, parsed.
///
/// The grammar is barman-cloud's (`xlog._xlog_re`), so both tools accept and refuse the same names:
/// `TTTTTTTTLLLLLLLLSSSSSSSS` (a segment), `...SSSSSSSS.partial`, `...SSSSSSSS.XXXXXXXX.backup`,
/// and `TTTTTTTT.history`, hexadecimal in either case.
public struct WALFileName: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case segment
        case partial
        case backupLabel
        case history
    }

    /// The name exactly as given (its case is kept in object keys, as barman-cloud does).
    public let name: String
    public let kind: Kind
    public let timeline: UInt32
    /// The `log` and `seg` parts of a segment name; zero for a `.history` file.
    public let log: UInt32
    public let segment: UInt32

    public var description: String { name }

    /// Parses `name`, which must be a bare file name (no directory part).
    public init?(_ name: String) {
        let bytes = Array(name.utf8)
        func hexValue(_ range: Range<Int>) -> UInt32? {
            var value: UInt32 = 0
            for byte in bytes[range] {
                guard let digit = Self.hexDigit(byte) else { return nil }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        func isSuffix(_ suffix: String, at offset: Int) -> Bool {
            bytes.count == offset + suffix.utf8.count && bytes[offset...].elementsEqual(suffix.utf8)
        }
        guard bytes.count >= 8, let tli = hexValue(0..<8) else { return nil }
        if isSuffix(".history", at: 8) {
            self.init(name: name, kind: .history, timeline: tli, log: 0, segment: 0)
            return
        }
        guard bytes.count >= 24, let log = hexValue(8..<16), let seg = hexValue(16..<24) else { return nil }
        let kind: Kind
        if bytes.count == 24 {
            kind = .segment
        } else if isSuffix(".partial", at: 24) {
            kind = .partial
        } else if bytes.count == 40, bytes[24] == UInt8(ascii: "."), hexValue(25..<33) != nil,
            isSuffix(".backup", at: 33)
        {
            kind = .backupLabel
        } else {
            return nil
        }
        self.init(name: name, kind: kind, timeline: tli, log: log, segment: seg)
    }

    private init(name: String, kind: Kind, timeline: UInt32, log: UInt32, segment: UInt32) {
        self.name = name
        self.kind = kind
        self.timeline = timeline
        self.log = log
        self.segment = segment
    }

    /// barman-cloud's hash directory: the timeline and log parts, upper-cased; none for `.history`.
    public var hashDirectory: String? {
        guard kind != .history else { return nil }
        return String(name.prefix(16)).uppercased()
    }

    /// The 24-character segment name this file belongs to (`nil` for `.history`).
    public var segmentName: String? {
        guard kind != .history else { return nil }
        return String(name.prefix(24))
    }

    /// Whether `name` is a bare WAL file name; a convenience for validation paths.
    public static func isValid(_ name: String) -> Bool { WALFileName(name) != nil }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
