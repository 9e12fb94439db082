#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Told how far a restore has got. Called from the restore loop, never concurrently.
public protocol RestoreProgress: AnyObject {
    func update(storedBytes: Int64, totalStoredBytes: Int64, tarBytes: Int64)
    func finish()
}

/// A single self-overwriting line on standard error: bytes downloaded of the total, bytes
/// unpacked, rate. For terminals only (the command checks `isatty(2)`); at most twice a second.
public final class TerminalProgressLine: RestoreProgress {
    private let start = TerminalProgressLine.now()
    private var lastDraw = 0.0
    private var drawn = false
    private var last: (stored: Int64, total: Int64, tar: Int64) = (0, 0, 0)

    public init() {}

    public func update(storedBytes: Int64, totalStoredBytes: Int64, tarBytes: Int64) {
        last = (storedBytes, totalStoredBytes, tarBytes)
        let now = Self.now()
        guard now - lastDraw >= 0.5 else { return }
        lastDraw = now
        draw(storedBytes: storedBytes, totalStoredBytes: totalStoredBytes, tarBytes: tarBytes, now: now)
    }

    /// Redraws the final totals and ends the line.
    public func finish() {
        guard drawn else { return }
        draw(storedBytes: last.stored, totalStoredBytes: last.total, tarBytes: last.tar, now: Self.now())
        emit("\n")
    }

    private func draw(storedBytes: Int64, totalStoredBytes: Int64, tarBytes: Int64, now: Double) {
        let elapsed = max(now - start, 0.001)
        let rate = Double(storedBytes) / elapsed
        var line = "\rrestore: \(Self.size(storedBytes))"
        if totalStoredBytes > 0 {
            line += " of \(Self.size(totalStoredBytes)) (\(storedBytes * 100 / max(totalStoredBytes, 1))%)"
        }
        line += ", \(Self.size(tarBytes)) unpacked, \(Self.size(Int64(rate)))/s   "
        emit(line)
        drawn = true
    }

    private func emit(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    static func size(_ bytes: Int64) -> String { ByteFormat.string(bytes) }

    private static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
