#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The directories a restore writes into: resolved, checked empty, created durably.
enum RestoreDirectories {
    static func absolutePath(_ path: String) throws -> String {
        guard !path.isEmpty else { throw BackupError(.invalidInput, "An empty path is not a directory") }
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        if trimmed.hasPrefix("/") { return trimmed }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else {
            throw BackupError(.localIO, "Cannot resolve \(path): \(SystemError("getcwd", path: ".", errno: errno))")
        }
        let cwd = String(cString: buffer)
        return trimmed == "." ? cwd : (cwd == "/" ? "" : cwd) + "/" + trimmed
    }

    /// barman-cloud's rule: restoring over existing files would mix two clusters.
    static func requireEmptyOrAbsent(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw BackupError(.localIO, "\(SystemError("stat", path: path, errno: errno))") }
            return
        }
        guard FileSystemOps.isDirectory(path) else {
            throw BackupError(.refused, "Destination \(path) already exists and it is not a directory")
        }
        let entries: [(name: String, isDirectory: Bool)]
        do { entries = try FileSystemOps.contents(of: path) } catch let error as SystemError {
            throw BackupError(.localIO, "Cannot read \(path): \(error.reason)")
        }
        guard entries.isEmpty else { throw BackupError(.refused, "Destination \(path) already exists and it is not empty") }
    }

    /// Creates `path` (mode 0700) and missing parents (0755); fsyncs each parent that gained an entry.
    static func makeDirectory(_ path: String, owner: FileOwner? = nil) throws {
        guard !FileSystemOps.isDirectory(path) else { return }
        let parent = FileSystemOps.directory(of: path)
        if parent != path, !FileSystemOps.isDirectory(parent) {
            try makeDirectory(parent)
            guard chmod(parent, 0o755) == 0 else { throw BackupError(.localIO, "\(SystemError("chmod", path: parent, errno: errno))") }
        }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw BackupError(.localIO, "Cannot create \(path): \(SystemError("mkdir", path: path, errno: errno).reason)")
        }
        try owner?.apply(path)
        try FileSystemOps.syncDirectory(parent)
    }

    static func owner(of path: String) throws -> FileOwner {
        var info = stat()
        guard stat(path, &info) == 0 else { throw BackupError(.localIO, "\(SystemError("stat", path: path, errno: errno))") }
        return FileOwner(uid: info.st_uid, gid: info.st_gid)
    }
}

/// The owner of the restored data directory; what we create beside the tars' files gets it, so
/// PostgreSQL (which refuses files it cannot read) owns everything when root restored.
struct FileOwner: Sendable {
    let uid: uid_t
    let gid: gid_t

    func apply(_ path: String) throws {
        guard geteuid() == 0 else { return }
        guard lchown(path, uid, gid) == 0 else { throw BackupError(.localIO, "\(SystemError("lchown", path: path, errno: errno))") }
    }
}
