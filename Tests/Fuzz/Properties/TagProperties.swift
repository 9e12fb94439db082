#if canImport(CloudWAL)
import CloudWAL
#endif

/// Object tags: an accepted `--tag` obeys barman-cloud's rules and re-parses from its own
/// `KEY,VALUE`; a `--tags` item reads as Python's csv module reads it (barman-cloud's parser)
/// and re-parses from its own CSV.
enum TagProperties {
    static func check(_ bytes: [UInt8]) -> [String] {
        var violations = FuzzViolations()
        let text = String(decoding: bytes, as: UTF8.self)
        let quoted = FuzzViolations.quote(text)

        if let tag = try? TagParser.parsePair(text) {
            violations.expect(!tag.key.isEmpty && tag.key.count <= 128, "\(quoted): key length \(tag.key.count)")
            violations.expect(tag.value.count <= 256, "\(quoted): value length \(tag.value.count)")
            violations.expect(!tag.key.lowercased().hasPrefix("aws:"), "\(quoted): reserved aws: key accepted")
            for part in [tag.key, tag.value] {
                violations.expect(part.unicodeScalars.allSatisfy(isAllowed), "\(quoted): disallowed character in \(FuzzViolations.quote(part))")
                violations.expect(part.unicodeScalars.first.map(isBlank) != true && part.unicodeScalars.last.map(isBlank) != true, "\(quoted): untrimmed \(FuzzViolations.quote(part))")
            }
            let again = try? TagParser.parsePair(tag.key + "," + tag.value)
            violations.expect(again == tag, "\(quoted): does not re-parse from its own KEY,VALUE")
        }

        // `--tags` items against Python's csv module, restated over Unicode scalars as Python reads them.
        let parsed = try? TagParser.parseCSV(text)
        let expected = PythonCSV.record(text).flatMap { $0.count == 2 && !$0[0].isEmpty ? ObjectTag(key: $0[0], value: $0[1]) : nil }
        violations.expect(
            parsed == expected,
            "\(quoted): --tags read as \(parsed.map { FuzzViolations.quote($0.key + "|" + $0.value) } ?? "refused"), "
                + "Python's csv reads \(expected.map { FuzzViolations.quote($0.key + "|" + $0.value) } ?? "refused")")
        if let tag = parsed {
            let again = try? TagParser.parseCSV(csvQuoted(tag.key) + "," + csvQuoted(tag.value))
            violations.expect(again == tag, "\(quoted): does not re-parse from its own CSV")
        }
        return violations.messages
    }

    private static func isBlank(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" }

    /// barman-cloud's character rule, restated independently of the parser's own.
    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.isAlphabetic || scalar.properties.numericType != nil { return true }
        return " \t_.:/=+-@".unicodeScalars.contains(scalar)
    }

    /// Python's csv writer with QUOTE_ALL: quotes around the field, inner quotes doubled (per
    /// scalar: a quote followed by a combining mark is one Character, but still a quote).
    private static func csvQuoted(_ field: String) -> String {
        var out = String.UnicodeScalarView(["\""])
        for scalar in field.unicodeScalars {
            out.append(scalar)
            if scalar == "\"" { out.append(scalar) }
        }
        out.append("\"")
        return String(out)
    }
}

/// One record as Python's `csv.reader` (default dialect) reads a one-line string: `,` splits,
/// a `"` opening a field quotes it (`""` inside is a quote; text after the closing quote is
/// kept), a line break outside quotes or an unclosed quote is an error (nil).
enum PythonCSV {
    static func record(_ text: String) -> [String]? {
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false
        var scalars = text.unicodeScalars[...]
        while let scalar = scalars.popFirst() {
            if quoted {
                if scalar != "\"" {
                    field.append(scalar)
                } else if scalars.first == "\"" {
                    field.append(scalars.removeFirst())
                } else {
                    quoted = false
                }
            } else if scalar == "\"", field.isEmpty {
                quoted = true
            } else if scalar == "," {
                fields.append(String(field))
                field = String.UnicodeScalarView()
            } else if scalar == "\n" || scalar == "\r" {
                return nil
            } else {
                field.append(scalar)
            }
        }
        if quoted { return nil }
        return fields + [String(field)]
    }
}
