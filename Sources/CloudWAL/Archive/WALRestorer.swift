import Logging

/// Fetches one WAL file from the archive into the path PostgreSQL asked for: what
/// `restore_command` runs.
///
/// `%p` is only ever complete: bytes go to a temporary file beside it, are verified (codec
/// checks, recorded SHA-256, segment size, the first page header against the requested name and
/// against the data directory's cluster), fsynced, and renamed into place. With a spool, the
/// segments after the requested one are fetched at the same time, so the next calls are served
/// from local disk; a spooled file passes the same header checks before it is handed over.
///
/// Each call first removes temporary files that killed earlier calls abandoned beside the
/// destination and in the spool (`TemporaryFileName`).
public struct WALRestorer: Sendable {
    public enum Outcome: Sendable, Equatable {
        case restored(key: String, size: Int, fromPartial: Bool, verified: Bool)
        /// Served from the spool, fetched and verified by an earlier call.
        case fromSpool
    }

    public let store: any ObjectStore
    public let layout: ArchiveLayout
    public let spool: WALSpool?
    /// The data directory whose cluster restored segments must come from, when it is one
    /// (`restore_command` runs in it, hence the default `.`); nil skips that check.
    public let dataDirectory: String?
    /// Age after which an abandoned temporary file is removed even if its pid is alive.
    public let temporaryFileMaxAge: Int
    private let logger: Logger

    public init(
        store: any ObjectStore, layout: ArchiveLayout, spool: WALSpool? = nil, dataDirectory: String? = ".",
        temporaryFileMaxAge: Int = TemporaryFileName.defaultMaxAge, logger: Logger
    ) {
        self.store = store
        self.layout = layout
        self.spool = spool
        self.dataDirectory = dataDirectory
        self.temporaryFileMaxAge = temporaryFileMaxAge
        self.logger = logger
    }

    struct Located: Sendable {
        let key: String
        let compression: Compression?
        let isPartial: Bool
        /// The stored file's own name (the `.partial` for a partial segment): what its header must match.
        let stored: WALFileName
    }

    /// Where `wal` is stored, preferring a complete segment over its `.partial`.
    func locate(_ wal: WALFileName, allowPartial: Bool) async throws -> Located? {
        var partial: Located?
        for object in try await listing(prefix: layout.searchPrefix(for: wal)).objects {
            guard let parsed = ArchiveLayout.parseObjectName(object.key) else { continue }
            if parsed.wal.name == wal.name {
                return Located(key: object.key, compression: parsed.compression, isPartial: false, stored: parsed.wal)
            }
            if allowPartial, wal.kind == .segment, parsed.wal.kind == .partial,
                parsed.wal.segmentName == wal.name, partial == nil
            {
                partial = Located(key: object.key, compression: parsed.compression, isPartial: true, stored: parsed.wal)
            }
        }
        return partial
    }

    /// Restores `walName` to `destination`.
    public func restore(walName: String, to destination: String, allowPartial: Bool = true) async throws -> Outcome {
        guard let wal = WALFileName(walName), !walName.contains("/") else {
            throw WALError(.invalidInput, "\(walName) is an invalid name for a WAL file")
        }
        removeAbandonedTemporaryFiles(beside: destination)
        let cluster = clusterSystemIdentifier()
        if let spool {
            do {
                let accept: (WALHeaderCheck.Verdict) -> Bool = { verdict in
                    (try? self.judge(verdict, as: walName, source: spool.path(for: walName), cluster: cluster)) != nil
                }
                if try spool.take(wal, to: destination, accept: accept) {
                    logger.info("Restored \(walName) from the spool \(spool.directory)")
                    return .fromSpool
                }
            } catch let error as SystemError {
                throw WALError(.destinationFailed, "Cannot move \(walName) from the spool: \(error)")
            }
        }
        guard let found = try await locate(wal, allowPartial: allowPartial) else {
            throw WALError(.notFound, "WAL file \(walName) for server \(layout.serverName) does not exist")
        }
        let result = try await withThrowingTaskGroup(of: WALObjectReader.Result?.self) { group in
            if let spool, spool.parallel > 1, wal.kind == .segment {
                let ahead = try await segments(after: wal, limit: spool.parallel - 1)
                if !ahead.isEmpty, prepareSpool(spool) {
                    for (name, located) in ahead {
                        group.addTask { await prefetch(located, as: name, into: spool, cluster: cluster) }
                    }
                }
            }
            let main = try await download(
                found, as: walName, to: destination, expectSegment: wal.kind == .segment || wal.kind == .partial,
                cluster: cluster)
            // Extras finish before we return: PostgreSQL asks for the next segment right after.
            for try await _ in group {}
            return main
        }
        if found.isPartial {
            logger.info("Restored \(walName) from the partial segment \(found.key)")
        } else {
            logger.info("Restored \(walName) from \(found.key) (\(result.size) bytes)")
        }
        if !result.verified {
            logger.debug("\(found.key) carries no recorded SHA-256 (not archived by cloud-wal); codec checks only")
        }
        return .restored(key: found.key, size: result.size, fromPartial: found.isPartial, verified: result.verified)
    }

    // MARK: - Internals

    private func listing(prefix: String) async throws -> ObjectListing {
        do {
            return try await store.list(prefix: prefix, delimiter: "/")
        } catch let error as StorageError {
            throw WALError(error)
        }
    }

    /// Complete segments stored after `wal` in its hash folder, in order (as barman-cloud picks them).
    private func segments(after wal: WALFileName, limit: Int) async throws -> [(String, Located)] {
        guard let hash = wal.hashDirectory else { return [] }
        var found: [(String, Located)] = []
        for object in try await listing(prefix: "\(layout.walsPrefix)\(hash)/").objects.sorted(by: { $0.key < $1.key }) {
            guard let parsed = ArchiveLayout.parseObjectName(object.key), parsed.wal.kind == .segment,
                parsed.wal.name > wal.name, !found.contains(where: { $0.0 == parsed.wal.name })
            else { continue }
            found.append(
                (parsed.wal.name,
                 Located(key: object.key, compression: parsed.compression, isPartial: false, stored: parsed.wal)))
            if found.count == limit { break }
        }
        return found
    }

    /// The spool is a cache: when it cannot be made (read-only, full, not ours) the requested
    /// segment is still restored, only nothing is fetched ahead.
    private func prepareSpool(_ spool: WALSpool) -> Bool {
        do {
            try spool.prepare()
            return true
        } catch {
            logger.warning("Not prefetching: cannot create the spool directory \(spool.directory): \(error)")
            return false
        }
    }

    /// Fetches one extra segment into the spool. Failures only cost a later download, so they are
    /// logged, not thrown.
    private func prefetch(_ located: Located, as name: String, into spool: WALSpool, cluster: UInt64?) async
        -> WALObjectReader.Result?
    {
        let target = spool.path(for: name)
        guard !FileSystemOps.exists(target) else { return nil }
        do {
            return try await download(located, as: name, to: target, expectSegment: true, cluster: cluster)
        } catch {
            logger.warning("Prefetching \(name) failed: \(error)")
            return nil
        }
    }

    /// Streams `located` into `destination` through a verified, fsynced temporary file.
    private func download(
        _ located: Located, as walName: String, to destination: String, expectSegment: Bool, cluster: UInt64?
    ) async throws -> WALObjectReader.Result {
        let temporary = FileSystemOps.temporarySibling(of: destination)
        let handle: FileHandle
        do {
            handle = try FileHandle.createExclusive(temporary, mode: 0o600)
        } catch let error as SystemError {
            throw WALError(.destinationFailed, "Cannot write \(destination): \(error.reason)")
        }
        defer { try? FileSystemOps.remove(temporary) }
        do {
            let result = try await WALObjectReader(store: store).read(
                located.key, compression: located.compression, expectSegment: expectSegment,
                sink: { try handle.write($0) })
            let verdict = WALHeaderCheck.check(firstBytes: result.firstBytes, name: located.stored, fileSize: result.size)
            try judge(verdict, as: walName, source: located.key, cluster: cluster)
            try checkRecordedIdentity(result.metadata, against: verdict, key: located.key)
            try handle.sync()
            try handle.close()
            try FileSystemOps.rename(temporary, to: destination)
            try FileSystemOps.syncDirectory(FileSystemOps.directory(of: destination))
            return result
        } catch let error as SystemError {
            throw WALError(.destinationFailed, "Cannot write \(destination): \(error.reason)")
        }
    }

    // MARK: - Content checks and leftovers

    /// Throws `WALError(.corrupt)` unless `verdict` says the bytes are `walName`'s and, when the
    /// process runs in a data directory, its cluster's. Never lets foreign WAL reach PostgreSQL.
    func judge(_ verdict: WALHeaderCheck.Verdict, as walName: String, source: String, cluster: UInt64?) throws {
        switch verdict {
        case .mismatch(let reason):
            throw WALError(.corrupt, "Refusing \(source) as \(walName): \(reason)")
        case .unknownMagic(let magic, _):
            let note = "\(source) has WAL page magic 0x\(WALHeaderCheck.hex(magic)), unknown to this cloud-wal; "
                + "restoring it, as the rest of its header matches \(walName)"
            logger.warning("\(note)")
        case .consistent, .notApplicable:
            break
        }
        if let cluster, let writer = verdict.systemIdentifier, writer != cluster {
            throw WALError(
                .corrupt,
                "Refusing \(source) as \(walName): it was written by the cluster with system identifier "
                    + "\(writer), not this data directory's \(cluster)")
        }
    }

    /// A segment whose recorded `cloudwal-sysid` differs from its own header was swapped in the store.
    private func checkRecordedIdentity(
        _ metadata: [String: String], against verdict: WALHeaderCheck.Verdict, key: String
    ) throws {
        guard let recorded = metadata[ObjectMetadataKey.systemIdentifier], let actual = verdict.systemIdentifier,
            recorded != String(actual)
        else { return }
        throw WALError(
            .corrupt, "\(key) is corrupt: its header names system identifier \(actual), the recorded one is \(recorded)")
    }

    /// The system identifier of the data directory this process restores into, if it runs in one.
    private func clusterSystemIdentifier() -> UInt64? {
        guard let dataDirectory else { return nil }
        do {
            return try DataDirectoryIdentity.systemIdentifier(ofDataDirectory: dataDirectory)
        } catch {
            // Unreadable pg_control: the cluster check is skipped rather than recovery stopped.
            logger.warning("Cannot read the system identifier in \(dataDirectory)/global/pg_control: \(error)")
            return nil
        }
    }

    private func removeAbandonedTemporaryFiles(beside destination: String) {
        var directories = [FileSystemOps.directory(of: destination)]
        if let spool { directories.append(spool.directory) }
        for directory in directories {
            for name in TemporaryFileName.removeAbandoned(in: directory, maxAge: temporaryFileMaxAge) {
                logger.info("Removed \(directory)/\(name), left behind by an interrupted run")
            }
        }
    }
}
