import Logging

/// Fetches one WAL file from the archive into the path PostgreSQL asked for: what
/// `restore_command` runs.
///
/// `%p` is only ever complete: bytes go to a temporary file beside it, are verified (codec
/// checks, recorded SHA-256, segment size, the first page header against the requested name and
/// against the data directory's cluster), and renamed into place; not fsynced, as `cp` does not:
/// PostgreSQL fsyncs the segments it keeps (see `download`). With a spool, a
/// segment the background prefetcher (`SpoolPrefetcher`) already holds is moved to `%p`; a
/// spooled file passes the same header checks before it is handed over. A call never waits for
/// segments other than its own: it records what it was asked for (`SpoolRequest`), and the
/// prefetcher keeps the next ones ready.
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
    /// A miss whose segment the prefetcher is fetching waits for it while its temporary file
    /// grows; after this long without a new byte the call downloads the segment itself.
    public let prefetchStallLimit: Duration
    /// Keys for encrypted objects (`--encryption-keyring`); without them one is refused, naming its key.
    public let keys: (any ObjectKeyProvider)?
    let logger: Logger

    public init(
        store: any ObjectStore, layout: ArchiveLayout, spool: WALSpool? = nil, dataDirectory: String? = ".",
        temporaryFileMaxAge: Int = TemporaryFileName.defaultMaxAge, prefetchStallLimit: Duration = .seconds(10),
        keys: (any ObjectKeyProvider)? = nil, logger: Logger
    ) {
        self.keys = keys
        self.store = store
        self.layout = layout
        self.spool = spool
        self.dataDirectory = dataDirectory
        self.temporaryFileMaxAge = temporaryFileMaxAge
        self.prefetchStallLimit = prefetchStallLimit
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
            // Recorded before the hand-over when the spool has (or is getting) this segment: once
            // it is moved out, a prefetcher still at the previous request would see it missing
            // from its window and fetch it again.
            var recorded = false
            if wal.kind == .segment, spool.depth > 0,
                let size = fileSize(spool.path(for: wal.name))
                    ?? spool.inFlightBytes(of: wal.name, maxAge: temporaryFileMaxAge).flatMap({ _ in
                        spool.newestRequest()?.segmentSize
                    })
            {
                recordRequest(wal, size: size, in: spool)
                recorded = true
            }
            var taken = try take(wal, from: spool, to: destination, cluster: cluster)
            // The prefetcher is writing this very segment: waiting for the rest is cheaper than
            // starting over, and the file it renames into place is complete and verified.
            if !taken, wal.kind == .segment, await waitForPrefetch(of: wal, in: spool) {
                taken = try take(wal, from: spool, to: destination, cluster: cluster)
            }
            if taken {
                logger.info("Restored \(walName) from the spool \(spool.directory)")
                if !recorded { recordRequest(wal, size: fileSize(destination), in: spool) }
                return .fromSpool
            }
        }
        guard let found = try await locate(wal, allowPartial: allowPartial) else {
            throw WALError(.notFound, "WAL file \(walName) for server \(layout.serverName) does not exist")
        }
        let result = try await download(
            found, as: walName, to: destination, expectSegment: wal.kind == .segment || wal.kind == .partial,
            cluster: cluster)
        if found.isPartial {
            logger.info("Restored \(walName) from the partial segment \(found.key)")
        } else {
            logger.info("Restored \(walName) from \(found.key) (\(result.size) bytes)")
            if let spool { recordRequest(wal, size: result.size, in: spool) }
        }
        if !result.verified {
            logger.debug("\(found.key) carries no recorded SHA-256 (not archived by cloud-wal); codec checks only")
        }
        return .restored(key: found.key, size: result.size, fromPartial: found.isPartial, verified: result.verified)
    }

    /// Whether a background prefetcher should be started for the spool after `walName` was
    /// restored: it is the newest recorded request, no prefetcher holds the spool's lock, and
    /// the spool lacks part of the window after it.
    public func prefetcherWanted(after walName: String) -> Bool {
        guard let spool, spool.depth > 0, let request = spool.newestRequest(), request.wal.name == walName,
            let window = request.window(depth: spool.depth)
        else { return false }
        return !SpoolLock.isHeld(in: spool.directory) && !window.isComplete(spooled: spool.spooledSegments())
    }

    // MARK: - Internals

    private func listing(prefix: String) async throws -> ObjectListing {
        do {
            return try await store.list(prefix: prefix, delimiter: "/")
        } catch let error as StorageError {
            throw WALError(error)
        }
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

    /// Moves a spooled `wal` to `destination` if one is there and passes the header checks.
    private func take(_ wal: WALFileName, from spool: WALSpool, to destination: String, cluster: UInt64?) throws -> Bool {
        do {
            let accept: (WALHeaderCheck.Verdict) -> Bool = { verdict in
                (try? self.judge(verdict, as: wal.name, source: spool.path(for: wal.name), cluster: cluster)) != nil
            }
            return try spool.take(wal, to: destination, accept: accept)
        } catch let error as SystemError {
            throw WALError(.destinationFailed, "Cannot move \(wal.name) from the spool: \(error)")
        }
    }

    /// Waits while a live prefetcher writes `wal` into the spool and keeps making progress;
    /// true once the complete file is there. Never fails: at worst the call downloads itself.
    private func waitForPrefetch(of wal: WALFileName, in spool: WALSpool) async -> Bool {
        guard var written = spool.inFlightBytes(of: wal.name, maxAge: temporaryFileMaxAge) else { return false }
        logger.debug("\(wal.name) is being prefetched; waiting for it")
        var progressed = ContinuousClock.now
        while true {
            try? await Task.sleep(for: .milliseconds(10))
            if FileSystemOps.exists(spool.path(for: wal.name)) { return true }
            guard let now = spool.inFlightBytes(of: wal.name, maxAge: temporaryFileMaxAge) else {
                // Renamed into place between the two looks, or the prefetch failed.
                return FileSystemOps.exists(spool.path(for: wal.name))
            }
            if now != written {
                written = now
                progressed = .now
            } else if ContinuousClock.now - progressed > prefetchStallLimit {
                logger.info("The prefetch of \(wal.name) made no progress for \(prefetchStallLimit); downloading it")
                return false
            }
        }
    }

    /// Records `wal` as the newest request, for the prefetcher. Best effort: the spool is a
    /// cache, and a call never fails because of it.
    private func recordRequest(_ wal: WALFileName, size: Int?, in spool: WALSpool) {
        guard spool.depth > 0, let size, let request = SpoolRequest(wal: wal, segmentSize: size),
            prepareSpool(spool)
        else { return }
        do {
            try spool.record(request)
        } catch {
            logger.warning("Not prefetching: cannot record the request in \(spool.directory): \(error)")
        }
    }

    private func fileSize(_ path: String) -> Int? {
        guard let handle = try? FileHandle.openForReading(path) else { return nil }
        defer { try? handle.close() }
        return try? handle.size()
    }

    /// Streams `located` into `destination` through a verified temporary file, renamed into place
    /// only once complete. `durable` adds fsyncs of the file and its directory; restore_command's
    /// `%p` does not need them (PostgreSQL fsyncs what it keeps, and asks again for what a crash
    /// lost), and on a machine busy with replay each fsync waits for the journal's other dirty
    /// pages: ~200 ms a segment measured in bench/storm.sh's replay.
    func download(
        _ located: Located, as walName: String, to destination: String, expectSegment: Bool, cluster: UInt64?,
        durable: Bool = false
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
            let reader = WALObjectReader(
                store: store, decryption: keys.map { WALDecryption(keys: $0, serverName: layout.serverName) })
            let result = try await reader.read(
                located.key, compression: located.compression, expectSegment: expectSegment,
                sink: { try handle.write($0) })
            let verdict = WALHeaderCheck.check(firstBytes: result.firstBytes, name: located.stored, fileSize: result.size)
            try judge(verdict, as: walName, source: located.key, cluster: cluster)
            try checkRecordedIdentity(result.metadata, against: verdict, key: located.key)
            if durable { try handle.sync() }
            try handle.close()
            try FileSystemOps.rename(temporary, to: destination)
            if durable { try FileSystemOps.syncDirectory(FileSystemOps.directory(of: destination)) }
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
    func clusterSystemIdentifier() -> UInt64? {
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
