/// JSON text exactly as Python's `json.dumps` writes it with its defaults: members in insertion
/// order, `", "` and `": "` separators, non-ASCII as `\uXXXX` escapes. barman-cloud's `--format
/// json` output is made that way, and scripts written against it (CloudNativePG parses
/// `backup-list --format json`) see the same bytes from us. `JSONValue` sorts members, so this is
/// a separate, write-only type.
public indirect enum PythonJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case array([PythonJSON])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public let key: String
        public let value: PythonJSON
        public init(_ key: String, _ value: PythonJSON) {
            self.key = key
            self.value = value
        }
    }

    /// The member named `key` of an object.
    public subscript(key: String) -> PythonJSON? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(value): out += value ? "true" : "false"
        case let .int(value): out += String(value)
        case let .float(value): out += Self.pythonFloat(value)
        case let .string(text): Self.quote(text, into: &out)
        case let .array(items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += ", " }
                item.write(into: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += ", " }
                Self.quote(member.key, into: &out)
                out += ": "
                member.value.write(into: &out)
            }
            out += "}"
        }
    }

    /// `float.__repr__`: shortest round-trip digits (Swift's description agrees), with Python's
    /// spellings of the non-finite values.
    static func pythonFloat(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return String(value)
    }

    /// `ensure_ascii=True`: everything outside printable ASCII escaped, astral characters as
    /// UTF-16 surrogate pairs.
    static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case " "..."~": out.unicodeScalars.append(scalar)
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

extension PythonJSON {
    /// What `json.dumps` makes of a Python value read with `ast.literal_eval`: tuples become
    /// arrays, dict keys strings (`None` → `"null"`, `True` → `"true"`, numbers as written).
    public init(_ literal: PythonLiteral) {
        switch literal {
        case .none: self = .null
        case let .bool(value): self = .bool(value)
        case let .int(value): self = .int(value)
        case let .float(value): self = .float(value)
        case let .string(text): self = .string(text)
        case let .list(items), let .tuple(items): self = .array(items.map(PythonJSON.init))
        case let .dict(pairs):
            self = .object(
                pairs.map { pair in
                    let key: String
                    switch pair.key {
                    case let .string(text): key = text
                    case .none: key = "null"
                    case let .bool(value): key = value ? "true" : "false"
                    case let .int(value): key = String(value)
                    case let .float(value): key = PythonJSON.pythonFloat(value)
                    default: key = pair.key.repr
                    }
                    return Member(key, PythonJSON(pair.value))
                })
        }
    }
}
