import Logging

/// Restores a base backup from the store into a directory, as `barman-cloud-restore` does, and
/// optionally configures the result to recover by itself (see `RecoveryConfig`), in four steps:
/// choose the backup (`BackupChoice.swift`), plan where each tar goes (`RestorePlan.swift`),
/// extract and check the tars (`RestoreExtraction.swift`), finish the data directory
/// (`RestoreFinish.swift`).
///
/// Nothing about the destination is reported as done until every tar has been unpacked, checked
/// (codec checks; the manifest's SHA-256 and sizes when there is one) and fsynced.
public struct BackupRestorer: Sendable {
    /// The backups to choose from; the restorer reads the same store.
    let catalog: BackupCatalog
    public var store: any ObjectStore { catalog.store }
    public var layout: ArchiveLayout { catalog.layout }
    var logger: Logger { catalog.logger }
    /// The keys for an encrypted backup (`--encryption-keyring`); the objects' headers say which.
    let keys: (any ObjectKeyProvider)?

    public init(store: any ObjectStore, layout: ArchiveLayout, logger: Logger, keys: (any ObjectKeyProvider)? = nil) {
        catalog = BackupCatalog(store: store, layout: layout, logger: logger)
        self.keys = keys
    }

    /// Turns stored parts into tar bytes (decrypting, decompressing), as verify does.
    var partReader: BackupPartReader { BackupPartReader(store: store, layout: layout, keys: keys) }

    public func restore(_ request: RestoreRequest, progress: (any RestoreProgress)? = nil) async throws -> RestoreOutcome {
        let destination = try RestoreDirectories.absolutePath(request.recoveryDirectory)
        try RestoreDirectories.requireEmptyOrAbsent(destination)
        let info = try await choose(request)
        logger.info("Restoring from backup_id: \(info.backupID)")
        let plan = try await plan(info, destination: destination, relocations: request.tablespaceLocations)
        let extracted = try await extract(plan, progress: progress)
        try finish(plan, created: extracted.createdDirectories, recoveryConfig: request.recoveryConfig)
        return RestoreOutcome(
            backupID: info.backupID, filesWritten: extracted.filesWritten, tarBytes: extracted.counters.tar,
            storedBytes: extracted.counters.stored, verifiedByManifest: plan.manifest != nil,
            recoveryConfigured: request.recoveryConfig != nil)
    }
}
