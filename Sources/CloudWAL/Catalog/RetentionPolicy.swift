/// A retention policy as barman writes it (`retention_policies.py`): `REDUNDANCY n` or
/// `RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS`, case-insensitive, the unit's `s` optional.
public enum RetentionPolicy: Sendable, Equatable, CustomStringConvertible {
    case redundancy(Int)
    case recoveryWindow(Int, WindowUnit)

    public enum WindowUnit: String, Sendable {
        case days = "DAYS"
        case weeks = "WEEKS"
        case months = "MONTHS"

        /// barman counts a month as 31 days.
        var seconds: Int64 {
            switch self {
            case .days: 86_400
            case .weeks: 7 * 86_400
            case .months: 31 * 86_400
            }
        }
    }

    /// Parses the policy; anything else is an input error (barman-cloud exits 3).
    public init(parsing text: String) throws {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            .map { $0.lowercased() }
        func count(_ word: String) -> Int? {
            guard !word.isEmpty, word.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(word)
        }
        if words.count == 2, words[0] == "redundancy", let value = count(words[1]) {
            self = .redundancy(value)
            return
        }
        if words.count == 5, words[0] == "recovery", words[1] == "window", words[2] == "of",
            let value = count(words[3])
        {
            switch words[4] {
            case "day", "days":
                self = .recoveryWindow(value, .days)
                return
            case "week", "weeks":
                self = .recoveryWindow(value, .weeks)
                return
            case "month", "months":
                self = .recoveryWindow(value, .months)
                return
            default: break
            }
        }
        throw BackupError(
            .invalidInput,
            "Could not create retention policy \(text): Cannot parse option retention_policy: \(text)")
    }

    /// barman's spelling: `REDUNDANCY 2`, `RECOVERY WINDOW OF 7 DAYS`.
    public var description: String {
        switch self {
        case let .redundancy(value): "REDUNDANCY \(value)"
        case let .recoveryWindow(value, unit): "RECOVERY WINDOW OF \(value) \(unit.rawValue)"
        }
    }
}
