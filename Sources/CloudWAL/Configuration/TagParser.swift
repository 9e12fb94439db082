/// Parses and validates object tags with barman-cloud's rules, so a tag one tool accepts the
/// other accepts too. `--tag KEY,VALUE` is split at the first comma; its key is 1–128 characters,
/// not starting `aws:`, its value at most 256, both limited to letters, digits, spaces and
/// `_.:/=+-@`. The older `--tags` items are CSV records of exactly two fields, quotes allowed,
/// and (as in barman-cloud) not held to the character rule.
public enum TagParser {
    /// Parses one `--tag KEY,VALUE`.
    public static func parsePair(_ argument: String) throws -> ObjectTag {
        guard let comma = argument.firstIndex(of: ",") else {
            throw WALError(.invalidInput, "Invalid tag '\(argument)': expected KEY,VALUE")
        }
        return try validated(
            key: String(argument[..<comma]), value: String(argument[argument.index(after: comma)...]),
            argument: argument)
    }

    /// Parses one `--tags` item: a CSV record of exactly two fields, quotes allowed (`"b,az",qux`).
    public static func parseCSV(_ argument: String) throws -> ObjectTag {
        let fields = try csvFields(argument)
        guard fields.count == 2 else {
            throw WALError(.invalidInput, "Invalid tag '\(argument)': expected exactly KEY,VALUE")
        }
        guard !fields[0].isEmpty else {
            throw WALError(.invalidInput, "Invalid tag '\(argument)': the key is empty")
        }
        return ObjectTag(key: fields[0], value: fields[1])
    }

    private static func validated(key rawKey: String, value rawValue: String, argument: String) throws -> ObjectTag {
        let key = trimmed(rawKey)
        let value = trimmed(rawValue)
        guard !key.isEmpty, key.count <= 128 else {
            throw WALError(.invalidInput, "Invalid tag '\(argument)': the key must be 1 to 128 characters")
        }
        guard !key.lowercased().hasPrefix("aws:") else {
            throw WALError(.invalidInput, "Invalid tag '\(argument)': keys starting with 'aws:' are reserved")
        }
        guard value.count <= 256 else {
            throw WALError(.invalidInput, "Invalid tag '\(argument)': the value is longer than 256 characters")
        }
        guard key.unicodeScalars.allSatisfy(isAllowed), value.unicodeScalars.allSatisfy(isAllowed) else {
            throw WALError(
                .invalidInput,
                "Invalid tag '\(argument)': only letters, digits, spaces and _ . : / = + - @ are allowed")
        }
        return ObjectTag(key: key, value: value)
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.isAlphabetic || scalar.properties.numericType != nil { return true }
        return " \t_.:/=+-@".unicodeScalars.contains(scalar)
    }

    private static func trimmed(_ text: String) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// Splits one CSV record as Python's `csv.reader` does for the simple cases tags use.
    /// It reads Unicode scalars, as Python does, not grapheme clusters: as a Character, `\r\n` is
    /// neither `\r` nor `\n`, and a comma followed by a combining mark is not a comma.
    private static func csvFields(_ text: String) throws -> [String] {
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let char = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if char == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else {
                            inQuotes = false
                            pending = next
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.unicodeScalars.append(char)
                }
            } else if char == "\"" && field.isEmpty {
                inQuotes = true
            } else if char == "," {
                fields.append(field)
                field = ""
            } else if char == "\n" || char == "\r" {
                throw WALError(.invalidInput, "Invalid tag '\(text)': line breaks are not allowed")
            } else {
                field.unicodeScalars.append(char)
            }
        }
        guard !inQuotes else { throw WALError(.invalidInput, "Invalid tag '\(text)': unterminated quote") }
        fields.append(field)
        return fields
    }
}
