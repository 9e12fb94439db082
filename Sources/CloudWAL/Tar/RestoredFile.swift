#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file being restored from a tar member: created exclusively (never through an existing name
/// or symlink), written, given the member's mode, owner and time, fsynced, closed.
final class RestoredFile {
    let path: String
    private var fd: Int32

    init(creating path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open", path: path, errno: errno) }
        self.path = path
        self.fd = fd
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path: path, errno: errno)
            }
            offset += count
        }
    }

    /// Applies the member's attributes, then fsyncs and closes: success means the bytes are durable.
    func finish(mode: UInt32, owner: (uid: uid_t, gid: gid_t)?, modificationTime: Int64) throws {
        if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
            throw SystemError("fchown", path: path, errno: errno)
        }
        // After chown, which clears set-id bits.
        guard fchmod(fd, mode_t(mode)) == 0 else { throw SystemError("fchmod", path: path, errno: errno) }
        var times = [timespec(tv_sec: Int(modificationTime), tv_nsec: 0), timespec(tv_sec: Int(modificationTime), tv_nsec: 0)]
        guard futimens(fd, &times) == 0 else { throw SystemError("futimens", path: path, errno: errno) }
        guard fsync(fd) == 0 else { throw SystemError("fsync", path: path, errno: errno) }
        let result = Glibc.close(fd)
        fd = -1
        guard result == 0 else { throw SystemError("close", path: path, errno: errno) }
    }
}
