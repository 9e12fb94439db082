import Glibc
import Logging

/// Writes one line per message to standard error, in barman-cloud's shape
/// (`2026-01-01 12:00:00,123 [pid] WARNING: message`), which PostgreSQL copies into its log.
///
/// Each line goes out in a single `write(2)` so lines from concurrent archivers never interleave.
public struct StderrLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var text = "\(Self.timestamp()) [\(getpid())] \(Self.levelName(event.level)): \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty {
            text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        text += "\n"
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// The level barman-cloud derives from `-v`/`-q` counts: WARNING, one step per flag.
    public static func level(verbose: Int, quiet: Int) -> Logger.Level {
        switch verbose - quiet {
        case ...(-2): .critical
        case -1: .error
        case 0: .warning
        case 1: .info
        default: .debug
        }
    }

    private static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var local = tm()
        localtime_r(&seconds, &local)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &local)
        let millis = Int(now.tv_nsec / 1_000_000)
        let prefix = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return prefix + "," + (millis < 10 ? "00" : millis < 100 ? "0" : "") + String(millis)
    }
}
