#if canImport(Glibc)
import Glibc
#endif

/// The progress line of a long backup or restore: shown on a terminal only (bytes, rate, ETA),
/// rewritten in place at most twice a second; silent when stderr is a log or a pipe.
public final class BackupProgress {
    private let enabled: Bool
    private let expectedBytes: Int?
    private let start = Timestamp.now()
    private var lastDraw: Int64 = 0
    private(set) var bytes = 0
    private(set) var storedBytes = 0
    private let verb: String

    public init(verb: String, expectedBytes: Int?, enabled: Bool = isatty(2) == 1) {
        self.verb = verb
        self.expectedBytes = expectedBytes
        self.enabled = enabled
    }

    public func add(_ count: Int) {
        bytes += count
        draw(force: false)
    }

    public func addStored(_ count: Int) {
        storedBytes += count
    }

    /// Clears the line so the next log line starts clean.
    public func done() {
        guard enabled else { return }
        draw(force: true)
        writeError("\n")
    }

    private func draw(force: Bool) {
        guard enabled else { return }
        let now = Timestamp.now().microseconds
        guard force || now - lastDraw >= 500_000 else { return }
        lastDraw = now
        let seconds = max(Double(now - start.microseconds) / 1_000_000, 0.001)
        let rate = Double(bytes) / seconds
        var line = "\r\(verb) \(Self.format(bytes))"
        if let expectedBytes, expectedBytes > 0 {
            line += " of ~\(Self.format(expectedBytes))"
            if rate > 0, bytes < expectedBytes {
                line += ", ETA \(Int(Double(expectedBytes - bytes) / rate))s"
            }
        }
        line += " at \(Self.format(Int(rate)))/s   "
        writeError(line)
    }

    static func format(_ bytes: Int) -> String { ByteFormat.string(bytes) }

    private func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}
