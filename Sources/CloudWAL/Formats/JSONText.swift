/// The one JSON writer: the sidecar's documents (`/status`, backup jobs), barman-cloud's
/// `--format json` output, cloud-wal's manifests and the cloud backends' request bodies all
/// render through it, so string escaping exists once. Members keep the order given, so output is
/// stable. Sources avoid Foundation, so this stands in for JSONSerialization.
public indirect enum JSONText: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case array([JSONText])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public let key: String
        public let value: JSONText
        public init(_ key: String, _ value: JSONText) {
            self.key = key
            self.value = value
        }
    }

    /// How the text is laid out; the values are the same either way.
    public enum Style: Sendable {
        /// `,` and `:` without spaces, non-ASCII as UTF-8, a non-finite number as `null`.
        case compact
        /// Python's `json.dumps` with its defaults (barman-cloud's output): `", "` and `": "`,
        /// everything outside printable ASCII as `\uXXXX` (`ensure_ascii`), Python's spellings
        /// of non-finite floats.
        case python
    }

    public static func optional(_ text: String?) -> JSONText { text.map(JSONText.string) ?? .null }

    /// The member named `key` of an object.
    public subscript(key: String) -> JSONText? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The compact text (the sidecar's answers, request bodies).
    public var rendered: String { text(.compact) }

    public func text(_ style: Style) -> String {
        var out = ""
        write(into: &out, style: style)
        return out
    }

    private func write(into out: inout String, style: Style) {
        let separator = style == .python ? ", " : ","
        switch self {
        case .null: out += "null"
        case let .bool(value): out += value ? "true" : "false"
        case let .int(value): out += String(value)
        case let .float(value): out += Self.number(value, style: style)
        case let .string(text): Self.quote(text, style: style, into: &out)
        case let .array(items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += separator }
                item.write(into: &out, style: style)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += separator }
                Self.quote(member.key, style: style, into: &out)
                out += style == .python ? ": " : ":"
                member.value.write(into: &out, style: style)
            }
            out += "}"
        }
    }

    /// Shortest round-trip digits (Swift's description agrees with Python's `float.__repr__`).
    /// JSON has no non-finite numbers: compact text writes `null`, Python its own spellings.
    static func number(_ value: Double, style: Style) -> String {
        if value.isFinite { return String(value) }
        guard style == .python else { return "null" }
        if value.isNaN { return "NaN" }
        return value < 0 ? "-Infinity" : "Infinity"
    }

    /// `text` as a JSON string literal.
    public static func quoted(_ text: String, style: Style = .compact) -> String {
        var out = ""
        quote(text, style: style, into: &out)
        return out
    }

    /// Quotes, backslashes and control characters escaped; in the Python style also everything
    /// outside printable ASCII, astral characters as UTF-16 surrogate pairs, as `ensure_ascii` does.
    static func quote(_ text: String, style: Style, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}" where style == .python: out += "\\b"
            case "\u{0C}" where style == .python: out += "\\f"
            case _ where scalar.value < 0x20: out += hex4(scalar.value)
            case _ where style == .compact || (0x20...0x7E).contains(scalar.value):
                out.unicodeScalars.append(scalar)
            default:
                if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    out += hex4(0xD800 + (value >> 10)) + hex4(0xDC00 + (value & 0x3FF))
                } else {
                    out += hex4(scalar.value)
                }
            }
        }
        out += "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
