#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in whole seconds and nanoseconds since the Unix epoch, formatted without
/// Foundation (the library avoids it; see JSONValue).
public struct Timestamp: Sendable, Equatable, Comparable {
    public let seconds: Int
    public let nanoseconds: Int

    public init(seconds: Int, nanoseconds: Int = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    @Sendable public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(seconds: Int(spec.tv_sec), nanoseconds: Int(spec.tv_nsec))
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// Seconds since the epoch with millisecond precision, as Prometheus timestamps-as-values are.
    public var unixSeconds: Double { Double(seconds) + Double(nanoseconds / 1_000_000) / 1000 }

    /// `2026-11-22T04:05:06Z`.
    public var iso8601: String { format("%Y-%m-%dT%H:%M:%SZ") }

    /// `20261122T040506Z`: sortable and safe in a URL path.
    public var compactUTC: String { format("%Y%m%dT%H%M%SZ") }

    private func format(_ pattern: String) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
