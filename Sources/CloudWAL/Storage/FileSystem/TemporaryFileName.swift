#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one name every temporary file cloud-wal creates carries:
/// `.<target>.cloud-wal-tmp.<pid>.<unix seconds>.<random>`, beside the file it will become.
///
/// The pid and the creation time let a later run tell an abandoned file (its writer was killed:
/// the pid is gone, or the file is older than any command may run) from one still being written,
/// so leftovers of `kill -9` do not pile up in `pg_wal`, the spool or the archive directory.
/// Only names that parse as this pattern are ever removed.
public struct TemporaryFileName: Sendable, Equatable {
    public static let marker = "cloud-wal-tmp"
    /// How old a temporary file must be to count as abandoned whatever its pid says (a pid can
    /// be reused, or belong to another pid namespace): longer than any one command runs.
    public static let defaultMaxAge = 3600

    /// The base name of the file this one will become.
    public let target: String
    public let pid: Int32
    public let createdAt: Int

    /// Parses a bare file name; nil for anything that is not exactly our pattern.
    public init?(parsing name: String) {
        guard name.hasPrefix("."), !name.contains("/") else { return nil }
        let parts = name.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 5 else { return nil }
        let tail = parts.suffix(4)
        let fields = Array(tail)
        guard fields[0] == Self.marker, let pid = Int32(fields[1]), pid > 0, let createdAt = Int(fields[2]),
            createdAt >= 0, !fields[3].isEmpty,
            fields[3].allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLowercase) })
        else { return nil }
        let target = parts.dropLast(4).joined(separator: ".")
        guard !target.isEmpty else { return nil }
        self.target = target
        self.pid = pid
        self.createdAt = createdAt
    }

    /// The name restore used before this pattern, `.<target>.cloud-wal.<pid>.<random>`, with no
    /// time in it (`modified` stands in): killed restores of earlier versions left these in `pg_wal`.
    init?(legacy name: String, modified: Int) {
        guard name.hasPrefix("."), !name.contains("/") else { return nil }
        let parts = name.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[parts.count - 3] == "cloud-wal", let pid = Int32(parts[parts.count - 2]), pid > 0,
            let random = parts.last, !random.isEmpty,
            random.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLowercase) })
        else { return nil }
        let target = parts.dropLast(3).joined(separator: ".")
        guard !target.isEmpty else { return nil }
        self.target = target
        self.pid = pid
        self.createdAt = modified
    }

    /// A fresh temporary path beside `path`, for this process, now.
    public static func sibling(of path: String) -> String {
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return "\(FileSystemOps.directory(of: path))/.\(FileSystemOps.baseName(of: path)).\(marker)."
            + "\(getpid()).\(time(nil)).\(random)"
    }

    /// Whether the writer of this file can no longer finish it.
    public func isAbandoned(now: Int, maxAge: Int) -> Bool {
        if now - createdAt > maxAge { return true }
        if pid == getpid() { return false }
        // EPERM: the process exists under another user; only ESRCH says it is gone.
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Removes abandoned temporary files (regular files only, our pattern only) directly in
    /// `directory`; returns the names removed. Best effort: an unreadable directory or a failed
    /// unlink is skipped, as cleanup must never fail the command it runs in.
    @discardableResult
    public static func removeAbandoned(in directory: String, maxAge: Int = defaultMaxAge) -> [String] {
        guard let entries = try? FileSystemOps.contents(of: directory) else { return [] }
        let now = Int(time(nil))
        var removed: [String] = []
        for entry in entries where !entry.isDirectory {
            let path = "\(directory)/\(entry.name)"
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let parsed = TemporaryFileName(parsing: entry.name)
                ?? TemporaryFileName(legacy: entry.name, modified: Int(info.st_mtim.tv_sec))
            guard let parsed, parsed.isAbandoned(now: now, maxAge: maxAge) else { continue }
            if unlink(path) == 0 { removed.append(entry.name) }
        }
        if !removed.isEmpty { try? FileSystemOps.syncDirectory(directory) }
        return removed
    }
}
