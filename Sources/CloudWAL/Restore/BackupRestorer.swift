#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging

/// What to restore, and where.
public struct RestoreRequest: Sendable {
    /// A backup id, a shortcut (`latest`, `oldest`, ...), a backup name, or `auto`.
    public var backupID: String
    public var recoveryDirectory: String
    /// Tablespace name → new location (`--tablespace NAME:LOCATION`); others go where backup.info says.
    public var tablespaceLocations: [String: String]
    /// How `auto` chooses.
    public var autoCriterion: BackupAutoSelection.Criterion
    /// Restricts `auto` to one timeline (`latest` = the newest timeline in the WAL archive).
    public var autoTimeline: TimelineTarget?
    /// Recovery settings to write; `nil` writes none (barman-cloud's behaviour).
    public var recoveryConfig: RecoveryConfig?

    public init(
        backupID: String, recoveryDirectory: String, tablespaceLocations: [String: String] = [:],
        autoCriterion: BackupAutoSelection.Criterion = .latest, autoTimeline: TimelineTarget? = nil,
        recoveryConfig: RecoveryConfig? = nil
    ) {
        self.backupID = backupID
        self.recoveryDirectory = recoveryDirectory
        self.tablespaceLocations = tablespaceLocations
        self.autoCriterion = autoCriterion
        self.autoTimeline = autoTimeline
        self.recoveryConfig = recoveryConfig
    }
}

public struct RestoreOutcome: Sendable, Equatable {
    public let backupID: String
    public let filesWritten: Int
    public let tarBytes: Int64
    public let storedBytes: Int64
    /// Whether a cloud-wal manifest proved every tar's content (barman-cloud backups have none).
    public let verifiedByManifest: Bool
    public let recoveryConfigured: Bool
}

/// Restores a base backup from the store into a directory, as `barman-cloud-restore` does, and
/// optionally configures the result to recover by itself (see `RecoveryConfig`).
///
/// Nothing about the destination is reported as done until every tar has been unpacked, checked
/// (codec checks; the manifest's SHA-256 and sizes when there is one) and fsynced.
public struct BackupRestorer: Sendable {
    public let store: any ObjectStore
    public let layout: ArchiveLayout
    let logger: Logger

    public init(store: any ObjectStore, layout: ArchiveLayout, logger: Logger) {
        self.store = store
        self.layout = layout
        self.logger = logger
    }

    public func restore(_ request: RestoreRequest, progress: (any RestoreProgress)? = nil) async throws -> RestoreOutcome {
        let destination = try RestoreDirectories.absolutePath(request.recoveryDirectory)
        try RestoreDirectories.requireEmptyOrAbsent(destination)

        let catalog = BackupCatalog(store: store, layout: layout, logger: logger)
        let infos = try await catalog.allInfos()
        let info = try await choose(request, infos: infos, catalog: catalog)
        guard info.status == .done else {
            throw BackupError(
                .refused, "Backup \(info.backupID) has status \(info.status?.rawValue ?? "unknown"), not DONE: it cannot be restored")
        }
        logger.info("Restoring from backup_id: \(info.backupID)")

        let prefix = layout.backupPrefix(info.backupID)
        let listing = try await store.list(prefix: prefix, delimiter: "/")
        let (tars, ignored) = try BackupTarFiles.find(
            in: listing.objects, backupPrefix: prefix, tablespaceOIDs: info.tablespaces.map(\.oid))
        for name in ignored { logger.warning("Ignoring unexpected object \(prefix)\(name)") }

        // Where each tar goes; every destination must be empty before anything is written.
        let (targets, links) = try plan(tars, info: info, destination: destination, relocations: request.tablespaceLocations)

        let manifest = try await readManifest(prefix: prefix, listing: listing)
        if let manifest {
            let present = Set(tars.fileNames)
            for key in manifest.files.map(\.key).sorted() where !present.contains(key) {
                throw BackupError(.corrupt, "Backup \(info.backupID) is incomplete: \(key) is in its manifest but not in the store")
            }
        } else {
            logger.info("Backup \(info.backupID) has no \(BackupManifest.fileName); relying on the codecs' own checks")
        }

        var counters = Counters(totalStored: Int64(tars.totalStoredBytes))
        var filesWritten = 0
        var created: [String] = []
        for (group, directory) in targets {
            if !FileSystemOps.exists(directory) { created.append(directory) }
            try RestoreDirectories.makeDirectory(directory)
            filesWritten += try await extract(group, into: directory, manifest: manifest, counters: &counters, progress: progress)
        }
        progress?.finish()

        // barman-cloud's tablespace tars have no entry for the location itself: a location this
        // restore created gets the data directory's owner, or the server could not enter it.
        let owner = try RestoreDirectories.owner(of: destination)
        for directory in created where directory != destination {
            try owner.apply(directory)
        }
        try linkTablespaces(links, dataDirectory: destination, owner: owner)
        try makeWALDirectory(destination, owner: owner)
        if let config = request.recoveryConfig {
            try RecoveryConfigWriter(dataDirectory: destination, owner: owner).write(config, backupID: info.backupID)
        }
        try FileSystemOps.syncDirectory(destination)
        try FileSystemOps.syncDirectory(FileSystemOps.directory(of: destination))
        return RestoreOutcome(
            backupID: info.backupID, filesWritten: filesWritten, tarBytes: counters.tar, storedBytes: counters.stored,
            verifiedByManifest: manifest != nil, recoveryConfigured: request.recoveryConfig != nil)
    }

    // MARK: - Destinations

    private typealias Target = (group: BackupTarFiles.Group, directory: String)

    /// PGDATA's tar into the destination, each tablespace's into its location (or relocation),
    /// and the `pg_tblspc` links to make; refuses overlapping or non-empty locations.
    private func plan(
        _ tars: BackupTarFiles, info: BackupInfo, destination: String, relocations: [String: String]
    ) throws -> (targets: [Target], links: [(oid: Int, location: String)]) {
        let tablespaces = info.tablespaces
        for name in relocations.keys where !tablespaces.contains(where: { $0.name == name }) {
            throw BackupError(.invalidInput, "Backup \(info.backupID) has no tablespace named '\(name)'")
        }
        var targets: [Target] = []
        var links: [(oid: Int, location: String)] = []
        for group in tars.groups {
            guard let oid = group.oid else {
                targets.append((group, destination))
                continue
            }
            guard let tablespace = tablespaces.first(where: { $0.oid == oid }) else { continue }
            let location = try RestoreDirectories.absolutePath(relocations[tablespace.name] ?? tablespace.location)
            guard location != destination, !location.hasPrefix(destination + "/") else {
                throw BackupError(.invalidInput, "Tablespace \(tablespace.name) cannot be restored inside the data directory (\(location))")
            }
            guard !targets.contains(where: { $0.directory == location }) else {
                throw BackupError(.invalidInput, "Two tablespaces cannot be restored into the same location (\(location))")
            }
            try RestoreDirectories.requireEmptyOrAbsent(location)
            targets.append((group, location))
            links.append((oid, location))
        }
        return (targets, links)
    }

    // MARK: - Choosing the backup

    private func choose(_ request: RestoreRequest, infos: [BackupInfo], catalog: BackupCatalog) async throws -> BackupInfo {
        guard request.backupID == "auto" else { return try catalog.resolve(request.backupID, among: infos) }
        var timeline: Int?
        switch request.autoTimeline {
        case .number(let number)?: timeline = number
        case .latest?: timeline = try await latestArchivedTimeline()
        case .current?:
            throw BackupError(.invalidInput, "'current' is not a valid timeline keyword when recovering without a backup_id")
        case nil: timeline = nil
        }
        guard let chosen = BackupAutoSelection.choose(from: infos, criterion: request.autoCriterion, timeline: timeline) else {
            throw BackupError(.notFound, "Cannot find any candidate backup for recovery")
        }
        return chosen
    }

    /// The newest timeline with anything in the WAL archive (hash folders and `.history` files).
    private func latestArchivedTimeline() async throws -> Int? {
        let listing = try await store.list(prefix: layout.walsPrefix, delimiter: "/")
        let names = listing.commonPrefixes.map { String($0.dropFirst(layout.walsPrefix.count).prefix(8)) }
            + listing.objects.map { String($0.key.dropFirst(layout.walsPrefix.count).prefix(8)) }
        return names.compactMap { Int($0, radix: 16) }.max()
    }

    // MARK: - Unpacking

    private struct Counters {
        var totalStored: Int64
        var stored: Int64 = 0
        var tar: Int64 = 0
    }

    private func readManifest(prefix: String, listing: ObjectListing) async throws -> BackupManifest? {
        let key = prefix + BackupManifest.fileName
        guard listing.objects.contains(where: { $0.key == key }) else { return nil }
        let bytes = try await store.get(key).collect(limit: 16 << 20)
        guard let manifest = BackupManifest(json: String(decoding: bytes, as: UTF8.self)) else {
            throw BackupError(.corrupt, "\(key) is not a manifest this version understands")
        }
        return manifest
    }

    /// Streams every part of one tar through its decompressor into one reader and extractor.
    /// barman-cloud's parts are each a complete archive; a stream cut mid-member continues in
    /// the next part, so both kinds of split restore.
    private func extract(
        _ group: BackupTarFiles.Group, into directory: String, manifest: BackupManifest?,
        counters: inout Counters, progress: (any RestoreProgress)?
    ) async throws -> Int {
        let extractor = TarExtractor(destination: directory, logger: logger)
        var reader = TarReader()
        var endedCleanly = false
        for part in group.parts {
            logger.debug("Extracting \(part.key) to \(directory)")
            let download = try await store.get(part.key)
            var decompression = try part.compression.map { BoundedDecompression(try $0.makeDecompressor()) }
            // Hashing costs a tenth of the CPU of a restore: only when a manifest can check it.
            var digest: ContentDigest? = manifest == nil ? nil : ContentDigest()
            var plainBytes = 0
            var stored = 0
            func consume(_ bytes: UnsafeRawBufferPointer) throws {
                digest?.update(bytes)
                plainBytes += bytes.count
                try reader.feed(bytes, into: extractor)
            }
            do {
                for try await chunk in download.chunks {
                    stored += chunk.count
                    counters.stored += Int64(chunk.count)
                    if decompression != nil {
                        try chunk.withUnsafeBytes { input in try decompression?.feed(input, consume) }
                    } else {
                        try chunk.withUnsafeBytes(consume)
                    }
                    progress?.update(
                        storedBytes: counters.stored, totalStoredBytes: counters.totalStored,
                        tarBytes: counters.tar + Int64(plainBytes))
                }
                try decompression?.decompressor.finish()
            } catch let error as CompressionError {
                throw BackupError(.corrupt, "\(part.key) is corrupt: \(error.message)")
            } catch let error as TarError {
                throw BackupError(.corrupt, "\(part.key) is not a valid tar: \(error.message)")
            } catch let error as SystemError {
                throw BackupError(.localIO, "Cannot restore \(part.key): \(error)")
            }
            counters.tar += Int64(plainBytes)
            if let manifest, let digest {
                try verify(part, sha256: digest.finalize(), tarBytes: plainBytes, storedBytes: stored, manifest: manifest)
            }
            endedCleanly = reader.isAtEndOfArchive
            if endedCleanly { reader.startNextArchive() }
        }
        do {
            // The last part must end with the end-of-archive marker: anything else is truncation.
            if !endedCleanly { try reader.finish() }
            try extractor.finish()
        } catch let error as TarError {
            throw BackupError(.corrupt, "\(group.parts.last?.key ?? group.name) is not a valid tar: \(error.message)")
        } catch let error as SystemError {
            throw BackupError(.localIO, "Cannot restore into \(directory): \(error)")
        }
        return extractor.filesWritten
    }

    private func verify(
        _ part: BackupTarFiles.Part, sha256: String, tarBytes: Int, storedBytes: Int, manifest: BackupManifest
    ) throws {
        guard let expected = manifest.files.first(where: { $0.key == part.fileName }) else {
            throw BackupError(.corrupt, "\(part.key) is not in the backup's manifest")
        }
        guard expected.tarBytes == tarBytes else {
            throw BackupError(.corrupt, "\(part.key) is corrupt: \(tarBytes) tar bytes instead of the recorded \(expected.tarBytes)")
        }
        guard expected.sha256.lowercased() == sha256 else {
            throw BackupError(.corrupt, "\(part.key) is corrupt: SHA-256 \(sha256) differs from the recorded \(expected.sha256)")
        }
        guard expected.storedBytes == storedBytes else {
            throw BackupError(
                .corrupt, "\(part.key) is corrupt: \(storedBytes) stored bytes instead of the recorded \(expected.storedBytes)")
        }
    }

    // MARK: - After the tars

    private func linkTablespaces(_ links: [(oid: Int, location: String)], dataDirectory: String, owner: FileOwner) throws {
        guard !links.isEmpty else { return }
        let directory = dataDirectory + "/pg_tblspc"
        try RestoreDirectories.makeDirectory(directory, owner: owner)
        for (oid, location) in links {
            let link = "\(directory)/\(oid)"
            var info = stat()
            if lstat(link, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFLNK, unlink(link) == 0 else {
                    throw BackupError(.localIO, "Cannot create the tablespace link \(link): something else is there")
                }
            }
            guard symlink(location, link) == 0 else { throw BackupError(.localIO, "\(SystemError("symlink", path: link, errno: errno))") }
            try owner.apply(link)
            logger.info("Tablespace \(oid) restored at \(location)")
        }
        try FileSystemOps.syncDirectory(directory)
        // PostgreSQL re-creates pg_tblspc links from tablespace_map when it exists: keep it in step.
        let mapPath = dataDirectory + "/tablespace_map"
        if FileSystemOps.exists(mapPath) {
            let text = links.map { "\($0.oid) \($0.location)\n" }.joined()
            try RecoveryConfigWriter.replaceFile(mapPath, contents: text, owner: owner)
        }
    }

    private func makeWALDirectory(_ dataDirectory: String, owner: FileOwner) throws {
        // barman-cloud leaves pg_wal out of the tar (and a symlinked pg_wal is not in it at all).
        for path in [dataDirectory + "/pg_wal", dataDirectory + "/pg_wal/archive_status"] {
            var info = stat()
            if stat(path, &info) == 0 { continue }
            try RestoreDirectories.makeDirectory(path, owner: owner)
        }
    }
}
