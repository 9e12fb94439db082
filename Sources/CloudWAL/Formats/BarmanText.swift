/// barman's small text helpers (`barman.utils`), reproduced so console output matches it byte for
/// byte without Foundation's `String(format:)`.
public enum BarmanText {
    /// `"{:<width}".format(text)`: left-aligned, padded with spaces, never truncated. Python
    /// counts code points, not grapheme clusters.
    static func leftAligned(_ text: String, _ width: Int) -> String {
        let length = text.unicodeScalars.count
        return length >= width ? text : text + String(repeating: " ", count: width - length)
    }

    /// `pretty_size(size)`: `512 B`, `1.5 KiB`, `20.0 MiB`, ... in powers of 1024, one decimal
    /// rounded half-to-even on the exact quotient, as Python's `%.1f` rounds the exact binary value
    /// (dividing by powers of two is exact, so both agree).
    public static func prettySize(_ size: Int) -> String {
        let suffixes = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
        let magnitude = size.magnitude
        var unit: UInt = 1
        var index = 0
        while index < suffixes.count - 1, magnitude / unit >= 1024 {
            unit *= 1024
            index += 1
        }
        let sign = size < 0 ? "-" : ""
        if index == 0 { return "\(size) B" }
        // Tenths: floor(10 * magnitude / unit), rounded on the remainder.
        let scaled = magnitude.multipliedFullWidth(by: 10)
        var (tenths, remainder) = unit.dividingFullWidth(scaled)
        if remainder * 2 > unit || (remainder * 2 == unit && tenths % 2 == 1) { tenths += 1 }
        return "\(sign)\(tenths / 10).\(tenths % 10) \(suffixes[index])"
    }

    /// `human_readable_timedelta(timedelta(seconds=...))` for a non-negative duration:
    /// `1 day, 2 hours, 3 minutes, 4 seconds`, or `less than one second`.
    public static func humanReadableDuration(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 1 else { return "less than one second" }
        let whole = Int(seconds)
        let days = whole / 86_400
        let rest = whole % 86_400
        let parts: [(Int, String)] = [(days, "day"), (rest / 3600, "hour"), (rest / 60 % 60, "minute"), (rest % 60, "second")]
        return parts.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)\($0.0 == 1 ? "" : "s")" }.joined(separator: ", ")
    }
}
