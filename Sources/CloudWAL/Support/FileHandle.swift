#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An owned POSIX file descriptor with the few operations durability needs.
///
/// Plain system calls rather than Foundation: the archive path runs once per WAL segment, and
/// `fsync` and `link` semantics must be exactly those of the kernel.
public final class FileHandle {
    public let path: String
    private var fd: Int32

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    public static func openForReading(_ path: String) throws -> FileHandle {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path: path, errno: errno) }
        return FileHandle(fd: fd, path: path)
    }

    /// Creates a new file, failing if `path` exists: temporary files never clobber anything.
    /// `followingLinks: false` adds `O_NOFOLLOW`, so a restored file is never created through a
    /// symlink an archive planted.
    public static func createExclusive(_ path: String, mode: mode_t = 0o600, followingLinks: Bool = true) throws -> FileHandle {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW)
        let fd = Glibc.open(path, flags, mode)
        guard fd >= 0 else { throw SystemError("open", path: path, errno: errno) }
        return FileHandle(fd: fd, path: path)
    }

    /// Opens a directory so it can be fsynced after entries were added, renamed or removed.
    public static func openDirectory(_ path: String) throws -> FileHandle {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path: path, errno: errno) }
        return FileHandle(fd: fd, path: path)
    }

    /// The file's size from `fstat`.
    public func size() throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemError("fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    /// Reads up to `buffer.count` bytes; returns 0 at end of file. Retries on EINTR.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw SystemError("read", path: path, errno: errno) }
        }
    }

    /// Reads until `buffer` is full or the file ends; returns the bytes read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var total = 0
        while total < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// Writes every byte, looping over short writes and EINTR.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
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

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes every byte at `offset` without moving the file position (parts arriving out of order).
    public func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let count = pwrite(fd, buffer.baseAddress.map { $0 + done }, buffer.count - done, off_t(offset + done))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw SystemError("pwrite", path: path, errno: errno)
                }
                done += count
            }
        }
    }

    /// Gives the file an owner (when one is given), then its mode (after chown, which clears
    /// set-id bits), then its modification time: a restored file as its tar member describes it.
    public func setAttributes(mode: UInt32, owner: (uid: uid_t, gid: gid_t)?, modificationTime: Int64) throws {
        if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
            throw SystemError("fchown", path: path, errno: errno)
        }
        guard fchmod(fd, mode_t(mode)) == 0 else { throw SystemError("fchmod", path: path, errno: errno) }
        let time = timespec(tv_sec: Int(modificationTime), tv_nsec: 0)
        var times = [time, time]
        guard futimens(fd, &times) == 0 else { throw SystemError("futimens", path: path, errno: errno) }
    }

    public func sync() throws {
        guard fsync(fd) == 0 else { throw SystemError("fsync", path: path, errno: errno) }
    }

    /// Closes now, reporting the error a deferred close would swallow (NFS reports write errors here).
    public func close() throws {
        guard fd >= 0 else { return }
        let result = Glibc.close(fd)
        fd = -1
        guard result == 0 else { throw SystemError("close", path: path, errno: errno) }
    }
}
