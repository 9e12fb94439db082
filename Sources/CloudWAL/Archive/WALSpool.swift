import Glibc

/// Where `wal-restore --parallel` keeps segments fetched ahead of PostgreSQL's requests
/// (barman-cloud's `--spool-dir`).
///
/// Two lessons from barman-cloud's shared `/var/tmp/walrestore` are built in: files sit in a
/// subfolder named after the archive they came from, so another cluster's segment of the same
/// name is never handed over; and a spooled file is complete and verified before it appears
/// under its name (temp file, checksum, fsync, rename), so a crash mid-download leaves nothing
/// that could be served.
public struct WALSpool: Sendable {
    public let directory: String
    /// How many segments one call may fetch: the requested one plus `parallel - 1` after it.
    public let parallel: Int

    /// `archiveIdentity` names the archive (URL and server), e.g. `s3://bucket/prefix pg1`.
    public init(baseDirectory: String, archiveIdentity: String, parallel: Int) {
        var digest = ContentDigest()
        digest.update(Array(archiveIdentity.utf8))
        directory = "\(baseDirectory)/\(digest.finalize().prefix(16))"
        self.parallel = parallel
    }

    public func path(for walName: String) -> String { "\(directory)/\(walName)" }

    /// Creates the spool folder (and its parent) on first use.
    func prepare() throws {
        try FileSystemOps.makeDirectories(directory, below: "/", mode: 0o700)
    }

    /// Moves a spooled `wal` to `destination` if there is one and `accept` passes its first page
    /// header; `false` when there is none. A spooled file that fails `accept` is removed (the
    /// caller downloads again, and the archive's copy meets the same checks).
    func take(_ wal: WALFileName, to destination: String, accept: (WALHeaderCheck.Verdict) -> Bool) throws -> Bool {
        let source = path(for: wal.name)
        guard FileSystemOps.exists(source) else { return false }
        let handle = try FileHandle.openForReading(source)
        let size = try handle.size()
        var first = [UInt8](repeating: 0, count: WALPageHeader.size)
        let count = try first.withUnsafeMutableBytes { try handle.readFully(into: $0) }
        try handle.close()
        guard accept(WALHeaderCheck.check(firstBytes: first.prefix(count), name: wal, fileSize: size)) else {
            try FileSystemOps.remove(source)
            return false
        }
        do {
            try FileSystemOps.rename(source, to: destination)
        } catch let error as SystemError where error.errno == EXDEV {
            // The spool is on another filesystem: download again rather than copy half-durably.
            return false
        }
        try FileSystemOps.syncDirectory(FileSystemOps.directory(of: destination))
        return true
    }
}
