/// The subset of Python literals barman writes into `backup.info` (`repr()` of strings, tuples,
/// lists, dicts, numbers, `None`, booleans), read and written so our files and barman's are
/// interchangeable. barman reads them back with `ast.literal_eval`, so what we write must be
/// valid Python, not JSON.
public indirect enum PythonLiteral: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([PythonLiteral])
    case tuple([PythonLiteral])
    case dict([(key: PythonLiteral, value: PythonLiteral)])

    public static func == (lhs: PythonLiteral, rhs: PythonLiteral) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.float(a), .float(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.list(a), .list(b)), let (.tuple(a), .tuple(b)): return a == b
        case let (.dict(a), .dict(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public var stringValue: String? {
        if case let .string(text) = self { return text }
        return nil
    }

    public var intValue: Int? {
        if case let .int(number) = self { return number }
        return nil
    }

    /// The elements of a list or tuple.
    public var elements: [PythonLiteral]? {
        switch self {
        case let .list(items), let .tuple(items): return items
        default: return nil
        }
    }

    /// Python's `repr()` of the value.
    public var repr: String {
        switch self {
        case .none: return "None"
        case let .bool(value): return value ? "True" : "False"
        case let .int(value): return String(value)
        case let .float(value): return String(value)
        case let .string(text): return Self.repr(text)
        case let .list(items): return "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case let .tuple(items):
            return items.count == 1 ? "(\(items[0].repr),)" : "(" + items.map(\.repr).joined(separator: ", ") + ")"
        case let .dict(pairs):
            return "{" + pairs.map { "\($0.key.repr): \($0.value.repr)" }.joined(separator: ", ") + "}"
        }
    }

    /// Python 3's `repr()` of a `str`: single quotes unless the text holds a single quote and no
    /// double quote; backslash escapes for quotes, backslashes and control characters.
    public static func repr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where Character(scalar) == quote: out += "\\" + String(quote)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\x" + hex(scalar.value, width: 2)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append(quote)
        return out
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Parses one literal; the whole text must be consumed.
    public init(parsing text: String) throws {
        var parser = Parser(Array(text.unicodeScalars))
        let value = try parser.parseValue()
        parser.skipSpace()
        guard parser.atEnd else { throw PythonLiteralError(text: text, reason: "unexpected trailing text") }
        self = value
    }
}

public struct PythonLiteralError: Error, CustomStringConvertible, Sendable {
    public let text: String
    public let reason: String
    public var description: String { "not a Python literal (\(reason)): \(text.prefix(80))" }
}

/// A recursive-descent reader over Unicode scalars.
private struct Parser {
    /// Python's own parser stops at 200 nested brackets; without a limit, a hostile or corrupt
    /// `backup.info` of ~30,000 `[` would overflow the stack and crash the process.
    static let maxDepth = 200

    let scalars: [Unicode.Scalar]
    var index = 0
    var depth = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    var atEnd: Bool { index >= scalars.count }
    var text: String { String(String.UnicodeScalarView(scalars)) }

    func fail(_ reason: String) -> PythonLiteralError { PythonLiteralError(text: text, reason: reason) }

    mutating func skipSpace() {
        while !atEnd, scalars[index].properties.isWhitespace { index += 1 }
    }

    mutating func parseValue() throws -> PythonLiteral {
        skipSpace()
        guard !atEnd else { throw fail("unexpected end") }
        guard depth < Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) deep") }
        depth += 1
        defer { depth -= 1 }
        switch scalars[index] {
        case "'", "\"": return .string(try parseString())
        case "[": return .list(try parseSequence(close: "]"))
        case "(":
            let items = try parseSequence(close: ")")
            return .tuple(items)
        case "{": return try parseDict()
        default: return try parseAtom()
        }
    }

    mutating func parseSequence(close: Unicode.Scalar) throws -> [PythonLiteral] {
        index += 1
        var items: [PythonLiteral] = []
        while true {
            skipSpace()
            guard !atEnd else { throw fail("unclosed sequence") }
            if scalars[index] == close {
                index += 1
                return items
            }
            items.append(try parseValue())
            skipSpace()
            guard !atEnd else { throw fail("unclosed sequence") }
            if scalars[index] == "," {
                index += 1
            } else if scalars[index] != close {
                throw fail("expected ',' or '\(close)'")
            }
        }
    }

    mutating func parseDict() throws -> PythonLiteral {
        index += 1
        var pairs: [(key: PythonLiteral, value: PythonLiteral)] = []
        while true {
            skipSpace()
            guard !atEnd else { throw fail("unclosed dict") }
            if scalars[index] == "}" {
                index += 1
                return .dict(pairs)
            }
            let key = try parseValue()
            skipSpace()
            guard !atEnd, scalars[index] == ":" else { throw fail("expected ':'") }
            index += 1
            pairs.append((key, try parseValue()))
            skipSpace()
            guard !atEnd else { throw fail("unclosed dict") }
            if scalars[index] == "," {
                index += 1
            } else if scalars[index] != "}" {
                throw fail("expected ',' or '}'")
            }
        }
    }

    mutating func parseAtom() throws -> PythonLiteral {
        let start = index
        while !atEnd, !",)]}:".unicodeScalars.contains(scalars[index]), !scalars[index].properties.isWhitespace {
            index += 1
        }
        let word = String(String.UnicodeScalarView(scalars[start..<index]))
        switch word {
        case "None": return .none
        case "True": return .bool(true)
        case "False": return .bool(false)
        default:
            if let number = Int(word) { return .int(number) }
            if let number = Double(word) { return .float(number) }
            throw fail("unknown token '\(word)'")
        }
    }

    mutating func parseString() throws -> String {
        let quote = scalars[index]
        index += 1
        var out = String.UnicodeScalarView()
        while true {
            guard !atEnd else { throw fail("unterminated string") }
            let scalar = scalars[index]
            index += 1
            if scalar == quote { return String(out) }
            guard scalar == "\\" else {
                out.append(scalar)
                continue
            }
            guard !atEnd else { throw fail("unterminated escape") }
            let escaped = scalars[index]
            index += 1
            switch escaped {
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "0": out.append("\0")
            case "\\", "'", "\"": out.append(escaped)
            case "x": out.append(try hexScalar(digits: 2))
            case "u": out.append(try hexScalar(digits: 4))
            case "U": out.append(try hexScalar(digits: 8))
            default:
                out.append("\\")
                out.append(escaped)
            }
        }
    }

    mutating func hexScalar(digits: Int) throws -> Unicode.Scalar {
        guard index + digits <= scalars.count,
            let value = UInt32(String(String.UnicodeScalarView(scalars[index..<index + digits])), radix: 16),
            let scalar = Unicode.Scalar(value)
        else { throw fail("bad escape") }
        index += digits
        return scalar
    }
}
