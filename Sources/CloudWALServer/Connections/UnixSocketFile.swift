import CloudWAL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The path of the token-free UNIX socket (`CLOUD_WAL_LISTEN_SOCKET`): who can connect is
/// decided by the file's mode, so the file must be ours, 0600, from its first moment.
///
/// `bind` creates the file with the process umask, and a `chmod` afterwards would leave a
/// moment in which anyone could connect. So the socket is bound inside a fresh 0700 directory
/// beside the final path, made 0600 there, and renamed into place; the rename also replaces a
/// stale socket atomically. Before that, the path is refused when its directory lets others
/// replace the file (writable by others without the sticky bit), when something other than a
/// socket is there, or when a live server already answers on it.
public struct UnixSocketFile: Sendable {
    public let path: String
    let directory: String
    /// The staging directory's socket: `<directory>/.cloud-wal-XXXXXX/s`.
    static let stagingSuffixLength = "/.cloud-wal-XXXXXX/s".utf8.count
    /// `sun_path` holds 108 bytes with the terminating NUL.
    static let maximumPathLength = 107

    /// Checks `path`; throws a one-line `invalidInput` error saying what is wrong.
    public init(path: String) throws {
        guard path.hasPrefix("/") else {
            throw WALError(.invalidInput, "CLOUD_WAL_LISTEN_SOCKET=\(path) must be an absolute path")
        }
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), path.utf8.last != UInt8(ascii: "/") else {
            throw WALError(.invalidInput, "CLOUD_WAL_LISTEN_SOCKET=\(path) must name a file")
        }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        guard directory.utf8.count + Self.stagingSuffixLength <= Self.maximumPathLength,
            path.utf8.count <= Self.maximumPathLength
        else {
            throw WALError(
                .invalidInput,
                "CLOUD_WAL_LISTEN_SOCKET=\(path) is too long for a UNIX socket (its directory may have at most "
                    + "\(Self.maximumPathLength - Self.stagingSuffixLength) bytes)")
        }
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw WALError(.invalidInput, "the directory of CLOUD_WAL_LISTEN_SOCKET, \(directory), does not exist")
        }
        if info.st_mode & S_IWOTH != 0, info.st_mode & S_ISVTX == 0 {
            throw WALError(
                .invalidInput,
                "\(directory) is writable by others without the sticky bit: anyone could replace the socket; "
                    + "choose another directory for CLOUD_WAL_LISTEN_SOCKET")
        }
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw WALError(
                    .invalidInput,
                    "CLOUD_WAL_LISTEN_SOCKET=\(path) exists and is \(WALDirectory.describe(info.st_mode & S_IFMT)), "
                        + "not a socket: not replaced")
            }
            if Self.answers(path) {
                throw WALError(.invalidInput, "another server is listening on \(path)")
            }
        }
        self.path = path
        self.directory = directory
    }

    /// Whether something accepts connections on the socket at `path` (a stale one refuses).
    static func answers(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return connected == 0
    }

    /// A new private (0700) directory beside the socket; bind to `staged(in:)` inside it.
    func makeStagingDirectory() throws -> String {
        var template = Array("\(directory == "/" ? "" : directory)/.cloud-wal-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard made != nil else {
            throw WALError(.invalidInput, "cannot create a directory in \(directory) for the socket: \(String(cString: strerror(errno)))")
        }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func staged(in stagingDirectory: String) -> String { stagingDirectory + "/s" }

    /// Makes the bound socket 0600 and moves it to `path`; returns its identity, so that only
    /// this socket is removed at exit.
    func publish(stagingDirectory: String) throws -> (device: UInt64, inode: UInt64) {
        defer { rmdir(stagingDirectory) }
        let staged = Self.staged(in: stagingDirectory)
        guard chmod(staged, 0o600) == 0 else {
            throw WALError(.invalidInput, "cannot make the socket 0600: \(String(cString: strerror(errno)))")
        }
        guard rename(staged, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(staged)
            throw WALError(.invalidInput, "cannot put the socket at \(path): \(reason)")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw WALError(.invalidInput, "the socket \(path) vanished: \(String(cString: strerror(errno)))")
        }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Removes the socket at exit, unless another process has put its own there since.
    func remove(identity: (device: UInt64, inode: UInt64)) {
        var info = stat()
        guard lstat(path, &info) == 0, UInt64(info.st_dev) == identity.device, UInt64(info.st_ino) == identity.inode else {
            return
        }
        unlink(path)
    }
}
