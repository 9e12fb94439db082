import Glibc

/// Where `wal-restore --parallel` keeps segments fetched ahead of PostgreSQL's requests
/// (barman-cloud's `--spool-dir`), and the background prefetcher's bookkeeping: its lock
/// (`SpoolLock`) and the newest request (`SpoolRequest`), both dot files no WAL name can match.
///
/// Two lessons from barman-cloud's shared `/var/tmp/walrestore` are built in: files sit in a
/// subfolder named after the archive they came from, so another cluster's segment of the same
/// name is never handed over; and a spooled file is complete and verified before it appears
/// under its name (temp file, checksum, rename), so a killed download leaves nothing that could
/// be served. Spooled files are not fsynced; `SpoolBootMark` keeps a crash of the machine from
/// serving a torn one.
public struct WALSpool: Sendable {
    public let directory: String
    /// How many segments are kept ready: the requested one plus `parallel - 1` after it.
    public let parallel: Int

    public static let requestFileName = ".prefetch.request"

    /// How far the prefetcher keeps ahead of the newest request.
    public var depth: Int { max(0, parallel - 1) }

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
    ///
    /// A file that vanishes meanwhile (the prefetcher removed it as out of window, or another
    /// call took it) is a miss, not an error.
    func take(_ wal: WALFileName, to destination: String, accept: (WALHeaderCheck.Verdict) -> Bool) throws -> Bool {
        let source = path(for: wal.name)
        guard FileSystemOps.exists(source) else { return false }
        guard segmentsAreFromThisBoot() else {
            // Written before the machine last went down, unsynced: possibly torn. The next
            // prefetcher would remove them too; removing them now keeps the window honest.
            discardSpooledSegments()
            return false
        }
        let handle: FileHandle
        do {
            handle = try FileHandle.openForReading(source)
        } catch let error as SystemError where error.errno == ENOENT {
            return false
        }
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
        } catch let error as SystemError where error.errno == EXDEV || error.errno == ENOENT {
            // EXDEV: the spool is on another filesystem: download again rather than copy
            // half-durably. ENOENT: it was removed since it was checked.
            return false
        }
        // No fsync: `destination` is PostgreSQL's `%p`, and PostgreSQL itself fsyncs the file and
        // pg_wal when it keeps a restored segment (`KeepFileRestoredFromArchive`, `durable_rename`);
        // one it loses in a crash it asks for again.
        return true
    }

    // MARK: - Prefetch bookkeeping

    /// The newest request recorded by a call, if a valid one is there.
    public func newestRequest() -> SpoolRequest? {
        guard let handle = try? FileHandle.openForReading(directory + "/" + Self.requestFileName) else { return nil }
        defer { try? handle.close() }
        var buffer = [UInt8](repeating: 0, count: 128)
        guard let count = try? buffer.withUnsafeMutableBytes({ try handle.readFully(into: $0) }) else { return nil }
        return SpoolRequest(parsing: String(decoding: buffer.prefix(count), as: UTF8.self))
    }

    /// Records `request` as the newest (temporary file and rename, so a reader sees the old
    /// record or the new one). Not fsynced: after a crash a stale record only moves prefetching.
    public func record(_ request: SpoolRequest) throws {
        let target = directory + "/" + Self.requestFileName
        let temporary = FileSystemOps.temporarySibling(of: target)
        let handle = try FileHandle.createExclusive(temporary, mode: 0o600)
        do {
            try handle.write(Array(request.text.utf8))
            try handle.close()
            try FileSystemOps.rename(temporary, to: target)
        } catch {
            try? FileSystemOps.remove(temporary)
            throw error
        }
    }

    /// Names of the complete segments in the spool (regular files named exactly as a segment).
    public func spooledSegments() -> Set<String> {
        guard let entries = try? FileSystemOps.contents(of: directory) else { return [] }
        var names: Set<String> = []
        for entry in entries where !entry.isDirectory {
            if let wal = WALFileName(entry.name), wal.kind == .segment { names.insert(entry.name) }
        }
        return names
    }

    /// Bytes written so far by a live writer of `walName`'s temporary file in the spool (the
    /// prefetcher fetching it now); nil when nobody is writing it.
    public func inFlightBytes(of walName: String, maxAge: Int = TemporaryFileName.defaultMaxAge) -> Int? {
        guard let entries = try? FileSystemOps.contents(of: directory) else { return nil }
        let now = Int(time(nil))
        var written: Int?
        for entry in entries where !entry.isDirectory {
            guard let temporary = TemporaryFileName(parsing: entry.name), temporary.target == walName,
                !temporary.isAbandoned(now: now, maxAge: maxAge)
            else { continue }
            var info = stat()
            guard stat(directory + "/" + entry.name, &info) == 0 else { continue }
            written = max(written ?? 0, Int(info.st_size))
        }
        return written
    }
}
