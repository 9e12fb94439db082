#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging

/// Writes the members a `TarReader` parses under one destination directory.
///
/// Safety: member names are confined by `TarPath`; every parent directory is either one this
/// extractor created or checked with `lstat` to be a real directory, never a symlink, so no member
/// (not even a hard link's target) is reached through a link the archive planted. Files are
/// created with `O_EXCL | O_NOFOLLOW`.
///
/// Durability: each file is fsynced when complete; `finish()` applies directory modes and times
/// (deferred so a read-only directory does not block its own contents) and fsyncs every directory
/// that gained an entry.
public final class TarExtractor: TarSink {
    public let destination: String
    private let ownership: TarOwnership
    private let logger: Logger
    private var current: (file: FileHandle, entry: TarMember)?
    /// Relative paths known to be real directories (created or checked).
    private var verifiedDirectories: Set<String> = [""]
    /// Directory members whose attributes are applied at the end, by relative path.
    private var directoryEntries: [String: TarMember] = [:]
    /// Absolute paths of directories whose entries changed and must be fsynced.
    private var touchedDirectories: Set<String> = []

    public private(set) var filesWritten = 0
    public private(set) var bytesWritten: Int64 = 0

    /// `destination` must exist.
    public init(destination: String, logger: Logger, applyArchiveOwners: Bool = geteuid() == 0) {
        self.destination = destination.count > 1 && destination.hasSuffix("/")
            ? String(destination.dropLast()) : destination
        self.ownership = TarOwnership(applyArchiveOwners: applyArchiveOwners)
        self.logger = logger
        touchedDirectories.insert(self.destination)
    }

    private func absolute(_ relative: String) -> String {
        relative.isEmpty ? destination : destination + "/" + relative
    }

    public func begin(_ entry: TarMember) throws {
        let parts = try TarPath.components(entry.path)
        let relative = parts.joined(separator: "/")
        if parts.isEmpty {
            // The archive's root (`./`): its mode and owner become the destination's.
            if entry.kind == .directory {
                directoryEntries[""] = entry
                ownership.adoptRootOwner(entry)
            }
            return
        }
        ownership.considerImplicitRoot(entry)
        let parent = parts.dropLast().joined(separator: "/")
        try ensureDirectory(parent, parts: Array(parts.dropLast()), template: entry)
        let path = absolute(relative)
        try clearForNewMember(path, relative: relative, keepDirectory: entry.kind == .directory)
        touchedDirectories.insert(absolute(parent))

        switch entry.kind {
        case .directory:
            if !verifiedDirectories.contains(relative) {
                if mkdir(path, 0o700) != 0, errno != EEXIST { throw SystemError("mkdir", path: path, errno: errno) }
                verifiedDirectories.insert(relative)
            }
            directoryEntries[relative] = entry
            touchedDirectories.insert(path)
        case .file:
            // Created exclusively, never through an existing name or symlink.
            current = (try FileHandle.createExclusive(path, followingLinks: false), entry)
        case .symlink:
            guard symlink(entry.linkTarget, path) == 0 else { throw SystemError("symlink", path: path, errno: errno) }
            if let owner = ownership.owner(for: entry), lchown(path, owner.uid, owner.gid) != 0 {
                throw SystemError("lchown", path: path, errno: errno)
            }
            try setTimes(path, entry.modificationTime, followLinks: false)
        case .hardlink:
            let targetParts = try TarPath.components(entry.linkTarget)
            guard !targetParts.isEmpty else {
                throw BackupError(.refused, "Refusing hard link to the destination itself: \(entry.path)")
            }
            try checkExistingDirectories(Array(targetParts.dropLast()), member: entry.linkTarget)
            let target = absolute(targetParts.joined(separator: "/"))
            guard linkat(AT_FDCWD, target, AT_FDCWD, path, 0) == 0 else {
                throw SystemError("link", path: path, errno: errno)
            }
        case .special(let type):
            logger.warning("Skipping special file \(entry.path) (tar type '\(String(UnicodeScalar(type)))')")
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let current else { throw TarError("tar content outside a regular file") }
        try current.file.write(bytes)
        bytesWritten += Int64(bytes.count)
    }

    public func end() throws {
        guard let (file, entry) = current else { return }
        current = nil
        try file.setAttributes(mode: entry.mode, owner: ownership.owner(for: entry), modificationTime: entry.modificationTime)
        // fsync, then close (whose error counts): success means the bytes are durable.
        try file.sync()
        try file.close()
        filesWritten += 1
    }

    /// Applies directory attributes (deepest first) and fsyncs every changed directory.
    public func finish() throws {
        if directoryEntries[""] == nil, let owner = ownership.destinationOwner,
            lchown(destination, owner.uid, owner.gid) != 0
        {
            throw SystemError("lchown", path: destination, errno: errno)
        }
        for relative in directoryEntries.keys.sorted(by: >) {
            guard let entry = directoryEntries[relative] else { continue }
            let path = absolute(relative)
            if let owner = ownership.owner(for: entry), lchown(path, owner.uid, owner.gid) != 0 {
                throw SystemError("lchown", path: path, errno: errno)
            }
            guard chmod(path, mode_t(entry.mode)) == 0 else { throw SystemError("chmod", path: path, errno: errno) }
            try setTimes(path, entry.modificationTime, followLinks: false)
        }
        for path in touchedDirectories.sorted(by: >) {
            try FileSystemOps.syncDirectory(path)
        }
    }

    // MARK: - Path safety

    /// Makes sure every component of `parts` is a real directory, creating missing ones (0700,
    /// owned like `template`); refuses symlinks and non-directories.
    private func ensureDirectory(_ relative: String, parts: [String], template: TarMember) throws {
        guard !verifiedDirectories.contains(relative) else { return }
        var current = ""
        for part in parts {
            let next = current.isEmpty ? part : current + "/" + part
            defer { current = next }
            if verifiedDirectories.contains(next) { continue }
            let path = absolute(next)
            var info = stat()
            if lstat(path, &info) == 0 {
                try requireDirectory(info, path: path, member: template.path)
            } else if errno == ENOENT {
                guard mkdir(path, 0o700) == 0 else { throw SystemError("mkdir", path: path, errno: errno) }
                if let owner = ownership.owner(for: template), lchown(path, owner.uid, owner.gid) != 0 {
                    throw SystemError("lchown", path: path, errno: errno)
                }
                touchedDirectories.insert(absolute(current))
                touchedDirectories.insert(path)
            } else {
                throw SystemError("lstat", path: path, errno: errno)
            }
            verifiedDirectories.insert(next)
        }
    }

    /// Like `ensureDirectory` but creates nothing: a hard link's target must already exist.
    private func checkExistingDirectories(_ parts: [String], member: String) throws {
        var current = ""
        for part in parts {
            current = current.isEmpty ? part : current + "/" + part
            if verifiedDirectories.contains(current) { continue }
            let path = absolute(current)
            var info = stat()
            guard lstat(path, &info) == 0 else { throw SystemError("lstat", path: path, errno: errno) }
            try requireDirectory(info, path: path, member: member)
            verifiedDirectories.insert(current)
        }
    }

    private func requireDirectory(_ info: stat, path: String, member: String) throws {
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return
        case S_IFLNK:
            throw BackupError(.refused, "Refusing tar member \(member): it would be written through the symlink \(path)")
        default:
            throw BackupError(.refused, "Refusing tar member \(member): \(path) is not a directory")
        }
    }

    /// Removes whatever a repeated member name left (a later member replaces an earlier one, as
    /// tar does), except a directory that stays a directory.
    private func clearForNewMember(_ path: String, relative: String, keepDirectory: Bool) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            guard keepDirectory else {
                throw BackupError(.refused, "Refusing tar member \(relative): a directory of that name exists")
            }
            verifiedDirectories.insert(relative)
            return
        }
        guard unlink(path) == 0 else { throw SystemError("unlink", path: path, errno: errno) }
        verifiedDirectories.remove(relative)
    }

    private func setTimes(_ path: String, _ seconds: Int64, followLinks: Bool) throws {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        guard utimensat(AT_FDCWD, path, &times, followLinks ? 0 : AT_SYMLINK_NOFOLLOW) == 0 else {
            throw SystemError("utimensat", path: path, errno: errno)
        }
    }
}
