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
    public struct Configuration: Sendable {
        public var compression: Compression?
        public var compressionLevel: CompressionLevel
        /// Parts uploading at once per tar.
        public var jobs: Int
        /// Split a tar into `_0001`, ... objects once it passes this many stored bytes.
        public var maxArchiveSize: Int
        /// Smallest part; barman's `--min-chunk-size`.
        public var minChunkSize: Int
        public var immediateCheckpoint: Bool
        public var name: String?
        public var tags: [ObjectTag]
        /// Where PGDATA is mounted for us, when that differs from the server's `data_directory`
        /// (a sidecar container sharing the volume at another path). `backup.info` still records
        /// the server's path.
        public var localDataDirectory: String?

        public init(
            compression: Compression? = nil, compressionLevel: CompressionLevel = .medium, jobs: Int = 2,
            maxArchiveSize: Int = 100 << 30, minChunkSize: Int = 5 << 20, immediateCheckpoint: Bool = false,
            name: String? = nil, tags: [ObjectTag] = []
        ) {
            self.compression = compression
            self.compressionLevel = compressionLevel
            self.jobs = jobs
            self.maxArchiveSize = maxArchiveSize
            self.minChunkSize = minChunkSize
            self.immediateCheckpoint = immediateCheckpoint
            self.name = name
            self.tags = tags
        }

        /// The smallest part that lets the largest tar fit S3's 10,000 parts (at least 5 MiB, S3's
        /// minimum), in whole MiB. barman-cloud doubles this; memory is `(jobs + 1)` parts, so we
        /// do not.
        var partSize: Int {
            let needed = (maxArchiveSize + 9_999) / 10_000
            let mebibytes = (max(needed, 5 << 20, minChunkSize) + (1 << 20) - 1) >> 20
            return mebibytes << 20
        }
    }

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

    /// Runs the backup over `session`; returns the DONE record. On failure the record says
    /// FAILED (when it can still be written) and the error is rethrown.
    public func run(session: PostgresBackupSession, progress showProgress: Bool) async throws -> BackupInfo {
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

        let start = try await session.startBackup(
            label: "cloud-wal backup \(layout.serverName) \(backupID)", fastCheckpoint: configuration.immediateCheckpoint)
        guard let startLSN = LSN(start.lsn) else {
            throw BackupError(.database, "PostgreSQL returned an unreadable start location '\(start.lsn)'")
        }
        let begin = startLSN.segment(timeline: start.timeline, segmentSize: facts.walSegmentSize)
        info.status = .started
        info.beginTime = start.time
        info.beginXLOG = start.lsn
        info.beginWAL = begin.name
        info.beginOffset = begin.offset
        info.timeline = start.timeline
        logger.info("Starting backup '\(backupID)' at \(start.lsn) (\(begin.name))")
        try await writeInfo(info)

        let progress = BackupProgress(verb: "Backed up", expectedBytes: facts.clusterSize, enabled: showProgress)
        var writers: [TarArchiveWriter] = []
        do {
            let settings = TarArchiveWriter.Settings(
                store: store, layout: layout, backupID: backupID, compression: configuration.compression,
                level: configuration.compressionLevel, partSize: configuration.partSize, jobs: configuration.jobs,
                maxArchiveSize: configuration.maxArchiveSize, options: PutOptions(tags: configuration.tags))
            var results: [TarObjectWriter.Result] = []
            for tablespace in facts.tablespaces {
                let writer = TarArchiveWriter(name: String(tablespace.oid), settings: settings, progress: progress)
                writers.append(writer)
                try await addTablespace(tablespace, major: session.serverVersion / 10000, to: writer)
                results += try await writer.finish()
            }
            let data = TarArchiveWriter(name: "data", settings: settings, progress: progress)
            writers.append(data)
            try await addDataDirectory(facts, to: data)
            try await addExternalConfigFiles(facts, to: data)

            let stop = try await session.stopBackup()
            guard let stopLSN = LSN(stop.lsn) else {
                throw BackupError(.database, "PostgreSQL returned an unreadable stop location '\(stop.lsn)'")
            }
            try await data.add(
                path: "backup_label", contents: Array(stop.labelFile.utf8), mode: 0o600,
                mtime: Int(stop.time.epochSeconds))
            results += try await data.finish()
            progress.done()
            try? await session.createRestorePoint("barman_\(backupID)")

            let end = stopLSN.segment(timeline: stop.timeline, segmentSize: facts.walSegmentSize)
            info.backupLabel = stop.labelFile
            info.endTime = stop.time
            info.endXLOG = stop.lsn
            info.endWAL = end.name
            info.endOffset = end.offset
            let stored = results.reduce(0) { $0 + $1.storedBytes }
            info.size = stored
            info.setRaw("deduplicated_size", String(stored))
            try await writeManifest(results, backupID: backupID)
            info.status = .done
            try await writeInfo(info)
            logger.info(
                "Backup '\(backupID)' done: \(results.count) tar(s), \(BackupProgress.format(stored)) stored, WAL \(begin.name) to \(end.name)")
            return info
        } catch {
            for writer in writers { await writer.abort() }
            progress.done()
            info.status = .failed
            info.error = "failure uploading data (\(String(describing: error).split(separator: "\n").first ?? ""))"
            try? await writeInfo(info)
            throw error
        }
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

    private func writeInfo(_ info: BackupInfo) async throws {
        // backup.info moves STARTED → DONE/FAILED, so it is the one object a backup rewrites.
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
        _ = try await store.put(
            prefix + BackupManifest.fileName, body: Array(manifest.json.utf8), options: PutOptions(tags: configuration.tags))
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
