#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time with the UTC offset it was written in: what `backup.info` holds
/// (`2025-10-24 02:26:08.217166+00:00`, Python's `str(datetime)`) and what recovery targets name.
/// Our own small type because the package does not link Foundation (start-up time and size).
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    public let microseconds: Int64
    /// The offset from UTC, in seconds, the time is shown in.
    public let utcOffsetSeconds: Int

    public init(microseconds: Int64, utcOffsetSeconds: Int = 0) {
        self.microseconds = microseconds
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }
    public static func == (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds == rhs.microseconds }
    public func hash(into hasher: inout Hasher) { hasher.combine(microseconds) }

    /// Now, shown in the machine's local offset.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let micros = Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
        return Timestamp(microseconds: micros, utcOffsetSeconds: localOffset(atEpochSeconds: Int(spec.tv_sec)))
    }

    public var epochSeconds: Int64 { floorDiv(microseconds, 1_000_000) }

    /// The same instant shown in the machine's local offset.
    public var local: Timestamp {
        Timestamp(microseconds: microseconds, utcOffsetSeconds: Self.localOffset(atEpochSeconds: Int(epochSeconds)))
    }

    public func adding(seconds: Int64) -> Timestamp {
        Timestamp(microseconds: microseconds + seconds * 1_000_000, utcOffsetSeconds: utcOffsetSeconds)
    }

    /// Python's `str(datetime)`, as barman writes `begin_time`/`end_time`.
    public var description: String {
        let fields = civilFields
        var text = "\(pad(fields.year, 4))-\(pad(fields.month, 2))-\(pad(fields.day, 2)) "
            + "\(pad(fields.hour, 2)):\(pad(fields.minute, 2)):\(pad(fields.second, 2))"
        if fields.micro != 0 { text += "." + pad(fields.micro, 6) }
        return text + offsetText(separator: ":")
    }

    /// ISO 8601 with a `T`, as Python's `isoformat()` (barman's `*_time_iso` JSON fields).
    public var isoFormat: String {
        description.replacingFirst(" ", with: "T")
    }

    /// What PostgreSQL's `recovery_target_time` accepts unambiguously.
    public var postgresFormat: String { description }

    /// `%Y%m%dT%H%M%S` in this timestamp's offset: barman's backup id.
    public var backupID: String {
        let f = civilFields
        return "\(pad(f.year, 4))\(pad(f.month, 2))\(pad(f.day, 2))T\(pad(f.hour, 2))\(pad(f.minute, 2))\(pad(f.second, 2))"
    }

    /// `%Y-%m-%d %H:%M:%S`, the console listing's end time.
    public var shortFormat: String {
        let f = civilFields
        return "\(pad(f.year, 4))-\(pad(f.month, 2))-\(pad(f.day, 2)) \(pad(f.hour, 2)):\(pad(f.minute, 2)):\(pad(f.second, 2))"
    }

    /// C's `ctime()` layout without the newline (`Fri Oct 24 02:26:08 2025`), as barman's JSON.
    public var ctime: String {
        let f = civilFields
        let days = floorDiv(floorDiv(microseconds + Int64(utcOffsetSeconds) * 1_000_000, 1_000_000), 86_400)
        let weekday = Int((days + 4) % 7 + 7) % 7  // 1970-01-01 was a Thursday
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let day = f.day < 10 ? " \(f.day)" : "\(f.day)"
        return "\(names[weekday]) \(months[f.month - 1]) \(day) \(pad(f.hour, 2)):\(pad(f.minute, 2)):\(pad(f.second, 2)) \(f.year)"
    }

    /// Reads `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z|±HH[:MM]|±HHMM]`. Without an offset the time is
    /// local, as PostgreSQL and dateutil read it.
    public init(parsing input: String) throws {
        let text = input.trimmingWhitespace()
        let chars = Array(text.utf8)
        var index = 0
        func number(_ width: Int) throws -> Int {
            guard index + width <= chars.count else { throw TimestampError(text: input) }
            var value = 0
            for byte in chars[index..<index + width] {
                guard byte >= 48, byte <= 57 else { throw TimestampError(text: input) }
                value = value * 10 + Int(byte - 48)
            }
            index += width
            return value
        }
        func expect(_ byte: UInt8) throws {
            guard index < chars.count, chars[index] == byte else { throw TimestampError(text: input) }
            index += 1
        }
        let year = try number(4)
        try expect(UInt8(ascii: "-"))
        let month = try number(2)
        try expect(UInt8(ascii: "-"))
        let day = try number(2)
        var hour = 0, minute = 0, second = 0, micro = 0
        if index < chars.count, chars[index] == UInt8(ascii: " ") || chars[index] == UInt8(ascii: "T") {
            index += 1
            hour = try number(2)
            try expect(UInt8(ascii: ":"))
            minute = try number(2)
            if index < chars.count, chars[index] == UInt8(ascii: ":") {
                index += 1
                second = try number(2)
                if index < chars.count, chars[index] == UInt8(ascii: ".") {
                    index += 1
                    var digits = 0
                    while index < chars.count, chars[index] >= 48, chars[index] <= 57 {
                        if digits < 6 { micro = micro * 10 + Int(chars[index] - 48) }
                        digits += 1
                        index += 1
                    }
                    guard digits > 0 else { throw TimestampError(text: input) }
                    for _ in digits..<max(digits, 6) { micro *= 10 }
                }
            }
        }
        while index < chars.count, chars[index] == UInt8(ascii: " ") { index += 1 }
        var offset: Int?
        if index < chars.count {
            let sign = chars[index]
            if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                offset = 0
                index += 1
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                index += 1
                let hours = try number(2)
                var minutes = 0
                if index < chars.count, chars[index] == UInt8(ascii: ":") { index += 1 }
                if index + 2 <= chars.count { minutes = try number(2) }
                offset = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
            }
        }
        guard index == chars.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { throw TimestampError(text: input) }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let wallSeconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let resolvedOffset = offset ?? Self.localOffset(forWallSeconds: wallSeconds)
        self.init(
            microseconds: (wallSeconds - Int64(resolvedOffset)) * 1_000_000 + Int64(micro),
            utcOffsetSeconds: resolvedOffset)
    }

    // MARK: - Calendar arithmetic (Howard Hinnant's civil-from-days algorithms)

    private var civilFields: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, micro: Int) {
        let local = microseconds + Int64(utcOffsetSeconds) * 1_000_000
        let seconds = floorDiv(local, 1_000_000)
        let micro = Int(local - seconds * 1_000_000)
        let days = floorDiv(seconds, 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = Self.civilFromDays(days)
        return (year, month, day, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60, micro)
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// The local UTC offset in force at an instant (from the C library's zone rules).
    static func localOffset(atEpochSeconds seconds: Int) -> Int {
        var time = time_t(seconds)
        var fields = tm()
        guard localtime_r(&time, &fields) != nil else { return 0 }
        return Int(fields.tm_gmtoff)
    }

    /// The local offset for a wall-clock time, found by asking about the instant it would be in UTC
    /// and correcting once (exact except within a DST transition hour).
    static func localOffset(forWallSeconds wall: Int64) -> Int {
        let first = localOffset(atEpochSeconds: Int(wall))
        return localOffset(atEpochSeconds: Int(wall - Int64(first)))
    }

    private func offsetText(separator: String) -> String {
        let sign = utcOffsetSeconds < 0 ? "-" : "+"
        let magnitude = abs(utcOffsetSeconds)
        return sign + pad(magnitude / 3600, 2) + separator + pad(magnitude / 60 % 60, 2)
    }
}

public struct TimestampError: Error, CustomStringConvertible, Sendable {
    public let text: String
    public var description: String { "'\(text)' is not a time (expected YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM])" }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

extension String {
    public func replacingFirst(_ target: Character, with replacement: String) -> String {
        guard let index = firstIndex(of: target) else { return self }
        return self[..<index] + replacement + self[self.index(after: index)...]
    }
}
