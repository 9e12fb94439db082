import CloudWAL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The WAL directory, opened once per request as a directory descriptor, and the only way
/// `?dest=` writes into it.
///
/// Every operation is relative to the descriptor (`openat`, `fstatat`, `linkat`, `renameat`)
/// with `O_NOFOLLOW`/`AT_SYMLINK_NOFOLLOW`, so no path is resolved after the check: a symlink
/// swapped into PGDATA later cannot redirect the write. The directory itself is opened through
/// its configured path, following symlinks, because `pg_wal` on another volume (`initdb
/// --waldir`) is a symlink by design; that path comes from the operator, never from a request.
///
/// What is at the name decides what happens:
/// - nothing: the file is created (atomically: temporary file, `linkat`, which fails
///   rather than replace anything that appeared in the meantime);
/// - a regular file named `RECOVERYXLOG`/`RECOVERYHISTORY` (a previous restore's): replaced
///   atomically with `renameat`;
/// - a regular file with a WAL file name: refused, never replaced. It may be the segment
///   PostgreSQL is writing, not yet archived;
/// - a symlink, directory, FIFO, socket or device: refused, untouched.
final class WALDirectory {
    let path: String
    private let descriptor: Int32

    /// Opens `path` as a directory; a failure is the sidecar's own (500), not the request's.
    init(path: String) throws(SidecarFailure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SidecarFailure(
                status: 500, reason: .localFailure,
                message: "cannot open the WAL directory \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    /// Refuses (409) when `name` exists and may not be replaced; checked before anything is
    /// fetched, and again just before the file is put in place.
    func checkWritable(_ name: String) throws(SidecarFailure) {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            guard errno == ENOENT else {
                throw SidecarFailure(
                    status: 500, reason: .localFailure,
                    message: "cannot inspect \(name) in the WAL directory: \(String(cString: strerror(errno)))")
            }
            return
        }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else {
            throw SidecarFailure(
                status: 409, reason: .destinationExists,
                message: "dest \(name) exists and is \(Self.describe(type)), not a regular file: not replaced")
        }
        guard DestinationPath.isScratchName(name) else {
            throw SidecarFailure(
                status: 409, reason: .destinationExists,
                message: "dest \(name) already exists in the WAL directory: a WAL file is never replaced")
        }
    }

    /// Copies the verified file at `source` (the private spool) to `name`; the answer 200 follows
    /// once it is complete under its name. Not fsynced, as `cp` in restore_command is not:
    /// PostgreSQL fsyncs the file and pg_wal when it keeps a restored segment
    /// (`KeepFileRestoredFromArchive`), and asks again for one a crash lost; an fsync of ours on a
    /// machine busy replaying waits for the journal's other dirty pages (docs/design/durability.md).
    func install(from source: String, as name: String) throws(SidecarFailure) {
        try checkWritable(name)
        // The library's one temporary-file pattern, so a later run's sweep can tell an abandoned one.
        let temporary = FileSystemOps.baseName(of: TemporaryFileName.sibling(of: name))
        let output = openat(descriptor, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw failure("create a temporary file for \(name)") }
        var placed = false
        defer {
            if !placed { unlinkat(descriptor, temporary, 0) }
        }
        do {
            defer { close(output) }
            try copy(from: source, to: output, name: name)
        }
        // Re-checked right before: what appeared since the first check is refused too.
        try checkWritable(name)
        if DestinationPath.isScratchName(name) {
            guard renameat(descriptor, temporary, descriptor, name) == 0 else { throw failure("rename into \(name)") }
        } else {
            // Create-if-absent: fails with EEXIST instead of replacing a WAL file.
            guard linkat(descriptor, temporary, descriptor, name, 0) == 0 else {
                if errno == EEXIST {
                    throw SidecarFailure(
                        status: 409, reason: .destinationExists,
                        message: "dest \(name) already exists in the WAL directory: a WAL file is never replaced")
                }
                throw failure("link \(name)")
            }
            unlinkat(descriptor, temporary, 0)
        }
        placed = true
    }

    private func copy(from source: String, to output: Int32, name: String) throws(SidecarFailure) {
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else { throw failure("read the restored copy of \(name)") }
        defer { close(input) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count == 0 { return }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw failure("read the restored copy of \(name)")
            }
            var written = 0
            while written < count {
                let done = buffer.withUnsafeBytes { write(output, $0.baseAddress.map { $0 + written }, count - written) }
                guard done > 0 else {
                    if done < 0, errno == EINTR { continue }
                    throw failure("write \(name)")
                }
                written += done
            }
        }
    }

    private func failure(_ action: String) -> SidecarFailure {
        SidecarFailure(
            status: 500, reason: .localFailure,
            message: "cannot \(action) in the WAL directory \(path): \(String(cString: strerror(errno)))")
    }

    /// `realpath(3)`: absolute, with every symlink, `.` and `..` resolved; nil if it does not exist.
    static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func describe(_ type: mode_t) -> String {
        switch type {
        case S_IFLNK: "a symlink"
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR, S_IFBLK: "a device"
        default: "not a regular file"
        }
    }
}
