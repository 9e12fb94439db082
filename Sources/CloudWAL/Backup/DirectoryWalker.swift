#if canImport(Glibc)
import Glibc
#endif

/// Walks a directory tree top-down in name order, as tar entries: a directory, then its files
/// and links, then its subdirectories. Entries that vanish during the walk (a dropped table, a
/// removed temp file) are skipped, as PostgreSQL's own base backup does; WAL replay recreates
/// the state they had.
struct DirectoryWalker {
    /// The filter sees paths relative to the root, without a leading `/`.
    let include: (_ relativePath: String, _ isDirectory: Bool) -> Bool
    /// Treat these relative paths as plain directories even when they are symlinks (`pg_wal`
    /// may point elsewhere; the backup keeps it as an empty directory).
    var directoryLinks: Set<String> = []

    struct Item {
        let entry: TarEntry
        let absolutePath: String
    }

    func walk(root: String, visit: (Item) async throws -> Void) async throws {
        try await walkDirectory(root: root, relative: "", visit: visit)
    }

    private func walkDirectory(root: String, relative: String, visit: (Item) async throws -> Void) async throws {
        let directory = relative.isEmpty ? root : "\(root)/\(relative)"
        let names: [(name: String, isDirectory: Bool)]
        do {
            names = try FileSystemOps.contents(of: directory)
        } catch let error as SystemError where error.isNotFound || error.errno == ENOTDIR {
            return
        }
        var subdirectories: [String] = []
        for (name, _) in names {
            let childRelative = relative.isEmpty ? name : "\(relative)/\(name)"
            let path = "\(directory)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0 else {
                if errno == ENOENT { continue }
                throw SystemError("lstat", path: path, errno: errno)
            }
            let type = info.st_mode & S_IFMT
            let isDirectory = type == S_IFDIR || (type == S_IFLNK && directoryLinks.contains(childRelative))
            guard include(childRelative, isDirectory) else { continue }
            let mode = Int(info.st_mode & 0o7777)
            let mtime = Int(info.st_mtim.tv_sec)
            if isDirectory {
                subdirectories.append(childRelative)
                continue
            }
            switch type {
            case S_IFREG:
                let entry = TarEntry(
                    path: childRelative, kind: .file(size: Int(info.st_size)), mode: mode, uid: Int(info.st_uid),
                    gid: Int(info.st_gid), mtime: mtime)
                try await visit(Item(entry: entry, absolutePath: path))
            case S_IFLNK:
                guard let target = Self.readLink(path) else { continue }
                let entry = TarEntry(
                    path: childRelative, kind: .symlink(target: target), mode: 0o777, uid: Int(info.st_uid),
                    gid: Int(info.st_gid), mtime: mtime)
                try await visit(Item(entry: entry, absolutePath: path))
            default:
                continue  // sockets, FIFOs and devices have no place in a backup
            }
        }
        for childRelative in subdirectories {
            let path = "\(root)/\(childRelative)"
            var info = stat()
            // stat, not lstat: a directory link (pg_wal) takes its target's mode.
            guard stat(path, &info) == 0 else { continue }
            let entry = TarEntry(
                path: childRelative, kind: .directory, mode: Int(info.st_mode & 0o7777), uid: Int(info.st_uid),
                gid: Int(info.st_gid), mtime: Int(info.st_mtim.tv_sec))
            try await visit(Item(entry: entry, absolutePath: path))
            try await walkDirectory(root: root, relative: childRelative, visit: visit)
        }
    }

    /// PGDATA itself may be a symlink; the backup follows it, as barman does.
    static func resolveLink(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
