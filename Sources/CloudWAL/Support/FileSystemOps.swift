#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Path operations with the durability steps spelled out; shared by the file backend and restore.
public enum FileSystemOps {
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The part of `path` before its last `/` (`.` when there is none).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// fsyncs a directory so that entries created, renamed or removed in it survive a crash.
    public static func syncDirectory(_ path: String) throws {
        let handle = try FileHandle.openDirectory(path)
        try handle.sync()
        try handle.close()
    }

    /// Creates `path` and any missing parents below `root` (which must exist), fsyncing each parent
    /// that gained an entry: a durable file in a directory whose own entry was lost is lost too.
    public static func makeDirectories(_ path: String, below root: String, mode: mode_t = 0o750) throws {
        guard !isDirectory(path) else { return }
        let parent = directory(of: path)
        if parent != root, parent.count > root.count {
            try makeDirectories(parent, below: root, mode: mode)
        }
        if mkdir(path, mode) != 0, errno != EEXIST {
            throw SystemError("mkdir", path: path, errno: errno)
        }
        try syncDirectory(parent)
    }

    /// Hard-links `source` to `target`; fails with EEXIST rather than replacing `target`. This is
    /// the atomic create-if-absent that `rename` cannot give.
    public static func link(_ source: String, to target: String) throws {
        guard Glibc.link(source, target) == 0 else { throw SystemError("link", path: target, errno: errno) }
    }

    public static func rename(_ source: String, to target: String) throws {
        guard Glibc.rename(source, target) == 0 else { throw SystemError("rename", path: target, errno: errno) }
    }

    /// Removes a file; an absent file is fine (cleanup paths call this unconditionally).
    public static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw SystemError("unlink", path: path, errno: errno) }
    }

    /// A name for a temporary file beside `path` that no concurrent process will pick, in the
    /// one pattern a later run recognises and removes once abandoned (`TemporaryFileName`).
    public static func temporarySibling(of path: String) -> String {
        TemporaryFileName.sibling(of: path)
    }

    /// Entries of a directory, without `.` and `..`; sorted so listings are deterministic.
    public static func contents(of path: String) throws -> [(name: String, isDirectory: Bool)] {
        guard let dir = opendir(path) else { throw SystemError("opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var entries: [(String, Bool)] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var isDir = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) { isDir = isDirectory("\(path)/\(name)") }
            entries.append((name, isDir))
        }
        return entries.sorted { $0.0 < $1.0 }
    }
}
