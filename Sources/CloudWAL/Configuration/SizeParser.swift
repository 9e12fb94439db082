/// Parses sizes as barman-cloud's Azure options take them: `4MB` is 4·1024², and, as in
/// barman-cloud, the `iB` suffixes count in powers of 1000. Kept identical on purpose: a user
/// switching tools must get the same block sizes from the same command line.
public enum SizeParser {
    public static func parse(_ text: String) throws -> Int {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.prefix { $0.isNumber }
        let unit = trimmed.dropFirst(digits.count).trimmingWhitespace().uppercased()
        guard let number = Int(digits), !digits.isEmpty else {
            throw WALError(.invalidInput, "Invalid size '\(text)': expected a number with an optional unit (e.g. 4MB)")
        }
        let powers = ["": 0, "B": 0, "K": 1, "KB": 1, "M": 2, "MB": 2, "G": 3, "GB": 3, "T": 4, "TB": 4]
        let decimalPowers = ["KIB": 1, "MIB": 2, "GIB": 3, "TIB": 4]
        let (base, power): (Int, Int)
        if let exponent = powers[unit] {
            (base, power) = (1024, exponent)
        } else if let exponent = decimalPowers[unit] {
            (base, power) = (1000, exponent)
        } else {
            throw WALError(.invalidInput, "Invalid size '\(text)': unknown unit '\(unit)'")
        }
        var result = number
        for _ in 0..<power {
            let (product, overflow) = result.multipliedReportingOverflow(by: base)
            guard !overflow else { throw WALError(.invalidInput, "Invalid size '\(text)': too large") }
            result = product
        }
        guard result > 0 else { throw WALError(.invalidInput, "Invalid size '\(text)': must be positive") }
        return result
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
