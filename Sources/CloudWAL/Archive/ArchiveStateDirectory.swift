#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where `wal-archive --parallel` keeps its `ArchiveStateRecord`s: one folder per archive (URL
/// and server name, hashed, as `WALSpool` does), one file per segment stored ahead.
///
/// PostgreSQL's `archive_status` is never written: renaming `.ready` files ourselves broke
/// WAL-G's users (#309), so what we pushed ahead lives here instead. A record is written only
/// after its object is durable, atomically (temporary file, fsync, rename, fsync of the folder),
/// so a crash leaves either no record or a complete one, never one for a segment not stored.
/// Because a record lets a call skip the store, a folder that another user could write is
/// refused (the caller then archives the ordinary way).
public struct ArchiveStateDirectory: Sendable {
    public static let defaultBaseDirectory = "/var/tmp/cloud-wal-archive"

    public let baseDirectory: String
    public let directory: String

    /// `archiveIdentity` names the archive (URL and server), e.g. `s3://bucket/prefix pg1`.
    public init(baseDirectory: String, archiveIdentity: String) {
        var digest = ContentDigest()
        digest.update(Array(archiveIdentity.utf8))
        var base = baseDirectory
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        self.baseDirectory = base
        directory = "\(base == "/" ? "" : base)/\(digest.finalize().prefix(16))"
    }

    public func path(for segment: String) -> String { "\(directory)/\(segment)" }

    /// Creates the folders (0700) on first use and checks that both are ours alone; the base is
    /// checked before anything is made inside it, as its owner could swap what we make there.
    public func prepare() throws {
        try FileSystemOps.makeDirectories(baseDirectory, below: "/", mode: 0o700)
        try Self.checkPrivate(baseDirectory)
        try FileSystemOps.makeDirectories(directory, below: baseDirectory, mode: 0o700)
        try Self.checkPrivate(directory)
    }

    /// The record for `segment`, if a well-formed one exists. A malformed file is removed: it
    /// can only be a leftover we do not understand, and keeping it would only hide the next one.
    public func record(for segment: String) -> ArchiveStateRecord? {
        let path = path(for: segment)
        guard let handle = try? FileHandle.openForReading(path) else { return nil }
        var bytes = [UInt8](repeating: 0, count: ArchiveStateRecord.maximumSize + 1)
        let count = (try? bytes.withUnsafeMutableBytes { try handle.readFully(into: $0) }) ?? 0
        try? handle.close()
        guard let record = ArchiveStateRecord(parsing: Array(bytes.prefix(count))), record.segment == segment else {
            try? remove(segment)
            return nil
        }
        return record
    }

    /// Writes `record` durably under its segment's name, replacing an older record of it.
    public func write(_ record: ArchiveStateRecord) throws {
        let target = path(for: record.segment)
        let temporary = TemporaryFileName.sibling(of: target)
        let handle = try FileHandle.createExclusive(temporary, mode: 0o600)
        do {
            try handle.write(record.encoded())
            try handle.sync()
            try handle.close()
            try FileSystemOps.rename(temporary, to: target)
        } catch {
            try? FileSystemOps.remove(temporary)
            throw error
        }
        try FileSystemOps.syncDirectory(directory)
    }

    public func remove(_ segment: String) throws {
        try FileSystemOps.remove(path(for: segment))
    }

    /// Names of the segments that have a record file (well-formed or not).
    public func recordedSegments() -> Set<String> {
        guard let entries = try? FileSystemOps.contents(of: directory) else { return [] }
        return Set(entries.filter { !$0.isDirectory && Self.isSegmentName($0.name) }.map(\.name))
    }

    /// Removes records of segments before `segment` (PostgreSQL asks in order, so it is past
    /// them: a record there can never be used and only misleads) and abandoned temporary files.
    /// Best effort: cleanup never fails an archiving.
    public func removeStale(before segment: String) {
        TemporaryFileName.removeAbandoned(in: directory)
        var removed = false
        for name in recordedSegments() where name < segment {
            if (try? remove(name)) != nil { removed = true }
        }
        if removed { try? FileSystemOps.syncDirectory(directory) }
    }

    static func isSegmentName(_ name: String) -> Bool {
        WALFileName(name)?.kind == .segment && name == name.uppercased()
    }

    /// A real directory (not a symbolic link), owned by this uid, writable by no one else.
    static func checkPrivate(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw SystemError("lstat", path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw WALError(.destinationFailed, "\(path) is not a directory")
        }
        guard info.st_uid == getuid() else {
            throw WALError(.destinationFailed, "\(path) belongs to uid \(info.st_uid), not to this user (uid \(getuid()))")
        }
        guard info.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
            throw WALError(
                .destinationFailed,
                "\(path) is writable by other users (mode \(String(info.st_mode & 0o7777, radix: 8)))")
        }
    }
}
