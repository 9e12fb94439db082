#if canImport(Glibc)
import Glibc
#endif

import Logging

/// Takes a base backup into the archive, in barman-cloud's layout: non-exclusive
/// `pg_backup_start`, each tablespace and then PGDATA streamed as tar through compression into
/// part-wise uploads, `global/pg_control` last, `pg_backup_stop`, its `backup_label` into the data
/// tar, then the manifest and finally `backup.info` with status DONE. Until that last write the
/// backup is STARTED (or FAILED with the reason), never DONE, so nothing reads a partial backup
/// as usable.
public struct BaseBackup: Sendable {
    public let store: any ObjectStore
    public let layout: ArchiveLayout
    public let configuration: Configuration
    let logger: Logger

    public init(store: any ObjectStore, layout: ArchiveLayout, configuration: Configuration, logger: Logger) {
        self.store = store
        self.layout = layout
        self.configuration = configuration
        self.logger = logger
    }

    /// Connects to PostgreSQL, runs the backup over that one session and closes it, whether the
    /// backup succeeded or not: closing the session is what ends an unfinished backup on the
    /// server. `backup` and the sidecar's `/backup-push` both come here.
    public func run(connectingTo postgres: PostgresConnectionSettings, progress showProgress: Bool) async throws -> BackupInfo {
        let session = try await PostgresBackupSession.connect(postgres, logger: logger)
        let info: BackupInfo
        do {
            info = try await run(session: session, progress: showProgress)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
        return info
    }

    /// Runs the backup over `session` in its phases: prepare (nothing written), start
    /// (`pg_backup_start`, recorded STARTED), copy the tars, stop (`pg_backup_stop`, its label
    /// into the data tar), finish (manifest, recorded DONE). Returns the DONE record; on failure
    /// the record says FAILED (when it can still be written) and the error is rethrown.
    public func run(session: PostgresBackupSession, progress showProgress: Bool) async throws -> BackupInfo {
        let prepared = try await prepare(session)
        var info = try await start(prepared, session: session)
        let progress = BackupProgress(verb: "Backed up", expectedBytes: prepared.facts.clusterSize, enabled: showProgress)
        var writers = TarWriters()
        do {
            let copied = try await copy(prepared, session: session, progress: progress, writers: &writers)
            let stopped = try await stop(prepared, copied, session: session, progress: progress)
            try await finish(&info, stopped, facts: prepared.facts)
            return info
        } catch {
            for writer in writers.all { await writer.abort() }
            progress.done()
            info.error = "failure uploading data (\(String(describing: error).split(separator: "\n").first ?? ""))"
            try? await record(&info, .failed)
            throw error
        }
    }

    // MARK: - Phases

    /// What the preparation found out; nothing is written to the store or the server yet.
    struct Prepared {
        var facts: PostgresBackupSession.ServerFacts
        var info: BackupInfo
    }

    /// The tars of the backup's sources, kept so a failure can abort their uploads.
    struct TarWriters {
        var all: [TarArchiveWriter] = []
    }

    /// The tars written while the backup ran; the data tar still open for `backup_label`.
    struct Copied {
        var results: [TarObjectWriter.Result]
        var data: TarArchiveWriter
    }

    /// What `pg_backup_stop` reported, with every tar finished.
    struct Stopped {
        var point: PostgresBackupSession.BackupPoint
        var lsn: LSN
        var results: [TarObjectWriter.Result]
    }

    /// Reads the server's facts, checks the data directory can be read here and the name is
    /// free, and picks the backup id.
    func prepare(_ session: PostgresBackupSession) async throws -> Prepared {
        var facts = try await session.serverFacts()
        let serverDataDirectory = facts.dataDirectory
        let localData = configuration.localDataDirectory ?? facts.dataDirectory
        guard FileSystemOps.isDirectory(localData), access(localData, R_OK | X_OK) == 0 else {
            throw BackupError(
                .localIO,
                "Cannot read the data directory \(localData): the backup must run on the database host, as a user who can read PGDATA")
        }
        facts.dataDirectory = localData
        if facts.archiveMode == "off" {
            // pg_backup_stop then returns at once and nothing stores the WAL the backup needs.
            logger.warning(
                "archive_mode is off: this backup cannot be restored unless its WAL is archived some other way (set archive_mode = on and archive_command = 'cloud-wal-archive ...')")
        }
        if let name = configuration.name {
            try await requireUniqueName(name)
        }
        let backupID = Timestamp.now().local.backupID
        guard try await store.head(layout.backupInfoKey(backupID)) == nil else {
            throw BackupError(.refused, "A backup with id \(backupID) already exists; try again in a second")
        }
        var info = BackupInfo(backupID: backupID)
        info.serverName = "cloud"
        info.backupName = configuration.name
        info.systemID = facts.systemIdentifier
        info.pgdata = serverDataDirectory
        info.version = session.serverVersion
        info.xlogSegmentSize = facts.walSegmentSize
        info.configFile = facts.configFile
        info.hbaFile = facts.hbaFile
        info.identFile = facts.identFile
        info.tablespaces = facts.tablespaces
        info.dataChecksums = facts.dataChecksums
        info.clusterSize = facts.clusterSize
        info.mode = "concurrent"
        return Prepared(facts: facts, info: info)
    }

    /// `pg_backup_start`, then the record says STARTED.
    func start(_ prepared: Prepared, session: PostgresBackupSession) async throws -> BackupInfo {
        var info = prepared.info
        let start = try await session.startBackup(
            label: "cloud-wal backup \(layout.serverName) \(info.backupID)", fastCheckpoint: configuration.immediateCheckpoint)
        guard let startLSN = LSN(start.lsn) else {
            throw BackupError(.database, "PostgreSQL returned an unreadable start location '\(start.lsn)'")
        }
        let begin = startLSN.segment(timeline: start.timeline, segmentSize: prepared.facts.walSegmentSize)
        info.beginTime = start.time
        info.beginXLOG = start.lsn
        info.beginWAL = begin.name
        info.beginOffset = begin.offset
        info.timeline = start.timeline
        logger.info("Starting backup '\(info.backupID)' at \(start.lsn) (\(begin.name))")
        try await record(&info, .started)
        return info
    }

    /// Each tablespace's tar, then PGDATA's (left open for `backup_label`).
    func copy(
        _ prepared: Prepared, session: PostgresBackupSession, progress: BackupProgress, writers: inout TarWriters
    ) async throws -> Copied {
        let facts = prepared.facts
        let settings = TarArchiveWriter.Settings(
            store: store, layout: layout, backupID: prepared.info.backupID, compression: configuration.compression,
            level: configuration.compressionLevel, partSize: configuration.partSize, jobs: configuration.jobs,
            maxArchiveSize: configuration.maxArchiveSize, options: PutOptions(tags: configuration.tags),
            encryption: configuration.encryption)
        var results: [TarObjectWriter.Result] = []
        for tablespace in facts.tablespaces {
            let writer = TarArchiveWriter(name: String(tablespace.oid), settings: settings, progress: progress)
            writers.all.append(writer)
            try await addTablespace(tablespace, major: session.serverVersion / 10000, to: writer)
            results += try await writer.finish()
        }
        let data = TarArchiveWriter(name: "data", settings: settings, progress: progress)
        writers.all.append(data)
        try await addDataDirectory(facts, to: data)
        try await addExternalConfigFiles(facts, to: data)
        return Copied(results: results, data: data)
    }

    /// `pg_backup_stop`; its label file closes the data tar; a restore point marks the end.
    func stop(
        _ prepared: Prepared, _ copied: Copied, session: PostgresBackupSession, progress: BackupProgress
    ) async throws -> Stopped {
        let stop = try await session.stopBackup()
        guard let stopLSN = LSN(stop.lsn) else {
            throw BackupError(.database, "PostgreSQL returned an unreadable stop location '\(stop.lsn)'")
        }
        try await copied.data.add(
            path: "backup_label", contents: Array(stop.labelFile.utf8), mode: 0o600, mtime: Int(stop.time.epochSeconds))
        let results = copied.results + (try await copied.data.finish())
        progress.done()
        try? await session.createRestorePoint("barman_\(prepared.info.backupID)")
        return Stopped(point: stop, lsn: stopLSN, results: results)
    }

    /// The manifest, then the record says DONE: only now can anything read the backup as usable.
    func finish(_ info: inout BackupInfo, _ stopped: Stopped, facts: PostgresBackupSession.ServerFacts) async throws {
        let end = stopped.lsn.segment(timeline: stopped.point.timeline, segmentSize: facts.walSegmentSize)
        info.backupLabel = stopped.point.labelFile
        info.endTime = stopped.point.time
        info.endXLOG = stopped.point.lsn
        info.endWAL = end.name
        info.endOffset = end.offset
        let stored = stopped.results.reduce(0) { $0 + $1.storedBytes }
        info.size = stored
        info.setRaw("deduplicated_size", String(stored))
        try await writeManifest(stopped.results, backupID: info.backupID)
        try await record(&info, .done)
        logger.info(
            "Backup '\(info.backupID)' done: \(stopped.results.count) tar(s), \(BackupProgress.format(stored)) stored, WAL \(info.beginWAL ?? "?") to \(end.name)")
    }

    // MARK: - Sources

    private func addDataDirectory(_ facts: PostgresBackupSession.ServerFacts, to writer: TarArchiveWriter) async throws {
        let root = DirectoryWalker.resolveLink(facts.dataDirectory)
        var extra: Set<String> = []
        for tablespace in facts.tablespaces {
            extra.insert("pg_tblspc/\(tablespace.oid)")
            // A tablespace inside PGDATA is in its own tar, not twice.
            if tablespace.location.hasPrefix(root + "/") {
                extra.insert(String(tablespace.location.dropFirst(root.count + 1)))
            }
        }
        let exclusions = BackupExclusions(extraPaths: extra)
        var walker = DirectoryWalker(include: exclusions.includes)
        walker.directoryLinks = ["pg_wal", "pg_xlog"]
        try await walker.walk(root: root) { item in
            try await writer.add(item.entry, sourcePath: item.absolutePath)
        }
        // pg_control last: it must not be older than any file copied before it.
        let control = "\(root)/global/pg_control"
        var info = stat()
        guard stat(control, &info) == 0 else {
            throw BackupError(.localIO, "Cannot read \(control): \(SystemError("stat", path: control, errno: errno).reason)")
        }
        let entry = TarEntry(
            path: "global/pg_control", kind: .file(size: Int(info.st_size)), mode: Int(info.st_mode & 0o7777),
            uid: Int(info.st_uid), gid: Int(info.st_gid), mtime: Int(info.st_mtim.tv_sec))
        guard try await writer.add(entry, sourcePath: control) else {
            throw BackupError(.localIO, "\(control) vanished during the backup")
        }
    }

    /// Only the `PG_<major>_*` folder of a tablespace belongs to this server version.
    private func addTablespace(_ tablespace: BackupInfo.Tablespace, major: Int, to writer: TarArchiveWriter) async throws {
        let exclusions = BackupExclusions()
        let walker = DirectoryWalker { relative, isDirectory in
            let top = relative.split(separator: "/").first.map(String.init) ?? relative
            guard top.hasPrefix("PG_\(major)_") else { return false }
            return exclusions.includesInTablespace(relative, isDirectory: isDirectory)
        }
        try await walker.walk(root: tablespace.location) { item in
            try await writer.add(item.entry, sourcePath: item.absolutePath)
        }
    }

    /// Configuration files outside PGDATA go into the data tar under their base name, as barman does.
    private func addExternalConfigFiles(_ facts: PostgresBackupSession.ServerFacts, to writer: TarArchiveWriter) async throws {
        let root = facts.dataDirectory
        for (kind, path) in [("config_file", facts.configFile), ("hba_file", facts.hbaFile), ("ident_file", facts.identFile)] {
            guard let path, !path.hasPrefix(root + "/") else { continue }
            var info = stat()
            guard stat(path, &info) == 0 else {
                if kind == "ident_file" { continue }  // optional for PostgreSQL, so for us
                throw BackupError(.localIO, "Cannot read \(kind) \(path): \(SystemError("stat", path: path, errno: errno).reason)")
            }
            let entry = TarEntry(
                path: FileSystemOps.baseName(of: path), kind: .file(size: Int(info.st_size)),
                mode: Int(info.st_mode & 0o7777), uid: Int(info.st_uid), gid: Int(info.st_gid),
                mtime: Int(info.st_mtim.tv_sec))
            try await writer.add(entry, sourcePath: path)
        }
    }

    // MARK: - Records

    /// Moves the record to `status` and writes it. backup.info moves STARTED → DONE/FAILED, so
    /// it is the one object a backup rewrites.
    private func record(_ info: inout BackupInfo, _ status: BackupInfo.Status) async throws {
        info.status = status
        _ = try await store.put(
            layout.backupInfoKey(info.backupID), body: info.bytes,
            options: PutOptions(tags: configuration.tags, createOnly: false))
    }

    private func writeManifest(_ results: [TarObjectWriter.Result], backupID: String) async throws {
        let prefix = layout.backupPrefix(backupID)
        let manifest = BackupManifest(
            files: results.map {
                .init(key: String($0.key.dropFirst(prefix.count)), sha256: $0.sha256, tarBytes: $0.tarBytes,
                      storedBytes: $0.storedBytes)
            })
        var body = Array(manifest.json.utf8)
        var name = BackupManifest.fileName
        if let keys = configuration.encryption {
            // Its checksums and sizes are of the plaintext: encrypted like the tars.
            body = try await SealedBackupFile.seal(
                body, identity: layout.backupObjectIdentity(backupID: backupID, fileName: name), keys: keys)
            name = BackupManifest.encryptedFileName
        }
        _ = try await store.put(prefix + name, body: body, options: PutOptions(tags: configuration.tags))
    }

    private func requireUniqueName(_ name: String) async throws {
        let catalog = BackupCatalog(store: store, layout: layout, logger: logger)
        if try await catalog.allInfos().contains(where: { $0.backupName == name }) {
            throw BackupError(.invalidInput, "A backup named '\(name)' already exists")
        }
        if name.allSatisfy({ $0.isNumber || $0 == "T" }) || ["latest", "last", "oldest", "first", "last-failed"].contains(name) {
            throw BackupError(.invalidInput, "'\(name)' cannot be a backup name: it reads as a backup id or shortcut")
        }
    }
}
