#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The exclusive `flock` that makes one background prefetcher per spool folder.
///
/// The kernel drops the lock when its holder exits, however it exits (`kill -9` included), so
/// a stale lock never stops prefetching. The file also names the holder's pid, for operators
/// and tests; that text is informative only, the lock is what counts.
public final class SpoolLock: Sendable {
    public static let fileName = ".prefetch.lock"

    private let fd: Int32
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Takes the lock of `directory` without waiting; nil when another process holds it.
    public static func acquire(in directory: String) throws -> SpoolLock? {
        let path = directory + "/" + fileName
        let fd = try openLockFile(path)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(fd)
            if error == EWOULDBLOCK { return nil }
            throw SystemError("flock", path: path, errno: error)
        }
        let lock = SpoolLock(fd: fd, path: path)
        lock.recordOwner()
        return lock
    }

    /// Whether a live process holds the lock of `directory` (false when there is no lock file).
    public static func isHeld(in directory: String) -> Bool {
        let path = directory + "/" + fileName
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // A shared lock is refused only while someone holds the exclusive one.
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        _ = flock(fd, LOCK_UN)
        return false
    }

    /// The pid written by the holder of `directory`'s lock, if one holds it now.
    public static func holder(in directory: String) -> Int32? {
        guard isHeld(in: directory), let handle = try? FileHandle.openForReading(directory + "/" + fileName) else {
            return nil
        }
        defer { try? handle.close() }
        var buffer = [UInt8](repeating: 0, count: 32)
        guard let count = try? buffer.withUnsafeMutableBytes({ try handle.readFully(into: $0) }) else { return nil }
        return Int32(String(decoding: buffer.prefix(count), as: UTF8.self).split(separator: "\n").first ?? "")
    }

    private static func openLockFile(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SystemError("open", path: path, errno: errno) }
        return fd
    }

    private func recordOwner() {
        let text = Array("\(getpid())\n".utf8)
        guard ftruncate(fd, 0) == 0 else { return }
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }
}
