import Logging

/// `backup-delete`: removes backups by id or by retention policy, then the WAL no remaining
/// backup needs, following barman-cloud's `cloud_backup_delete.py` step by step.
///
/// Crash safety: a backup's other objects (tars, anything else in its folder) go first and
/// `backup.info` last, so an interrupted delete never leaves a `backup.info` that promises tars
/// which are gone; running the delete again finishes the job. WAL goes only after that.
public struct CatalogDeletion: Sendable {
    public let catalog: BackupCatalog
    /// Report what would go (on `output`) and delete nothing.
    public var dryRun: Bool
    /// How many deletes run at once (`--batch-size`).
    public var concurrency: Int
    /// Where dry-run lines go (stdout in the CLI), in barman-cloud's words.
    let output: @Sendable (String) -> Void
    var logger: Logger { catalog.logger }

    public init(catalog: BackupCatalog, dryRun: Bool, concurrency: Int, output: @escaping @Sendable (String) -> Void) {
        self.catalog = catalog
        self.dryRun = dryRun
        self.concurrency = concurrency
        self.output = output
    }

    /// `-b ID`: refuses a kept backup, and a delete that would leave fewer than
    /// `minimumRedundancy` backups. Returns the ids deleted (none when the id names no backup).
    @discardableResult
    public func deleteBackup(_ requested: String, minimumRedundancy: Int) async throws -> [String] {
        let snapshot = try await loadCatalog()
        let serverName = catalog.layout.serverName
        let backupID = try snapshot.resolveID(requested, serverName: serverName)
        // Read afresh, not from the listing: the annotation is the one thing that must be current.
        if try await KeepAnnotations(store: catalog.store, layout: catalog.layout).target(of: backupID) != nil {
            throw BackupError(
                .refused,
                "Skipping delete of backup \(backupID) for server \(serverName) as it has a current keep request. "
                    + "If you really want to delete this backup please remove the keep and try again.")
        }
        if minimumRedundancy > 0 {
            let completed = snapshot.backups.filter { $0.status != .started }.count
            if minimumRedundancy >= completed {
                throw BackupError(
                    .refused,
                    "Skipping delete of backup \(backupID) for server \(serverName) due to minimum redundancy "
                        + "requirements (minimum redundancy = \(minimumRedundancy), current redundancy = \(completed))")
            }
        }
        var state = DeletionState(snapshot: snapshot)
        return try await delete(backupID, state: &state, skipWALCleanupIfStandalone: true) ? [backupID] : []
    }

    /// `-r POLICY`: deletes every OBSOLETE backup, oldest first, so WAL is trimmed after each.
    @discardableResult
    public func applyRetention(_ policy: RetentionPolicy, minimumRedundancy: Int, now: Timestamp) async throws
        -> [String]
    {
        let snapshot = try await loadCatalog()
        if case let .redundancy(value) = policy, value < minimumRedundancy {
            logger.warning(
                "Retention policy redundancy (\(value)) is lower than the required minimum redundancy (\(minimumRedundancy)). Enforce \(minimumRedundancy).")
        }
        let obsolete = policy.obsoleteBackups(snapshot, minimumRedundancy: minimumRedundancy, now: now)
        var state = DeletionState(snapshot: snapshot)
        var deleted: [String] = []
        for backupID in obsolete {
            if try await delete(backupID, state: &state, skipWALCleanupIfStandalone: false) {
                deleted.append(backupID)
            }
        }
        return deleted
    }

    // MARK: - Steps

    /// The catalog and WAL listing as the run goes: backups and WAL leave it as they are deleted
    /// (also in a dry run, so its report matches what a real run would do).
    struct DeletionState {
        var snapshot: CatalogSnapshot
        /// The WAL objects, listed on first need as barman-cloud does, minus those deleted since.
        var inventory: WALInventory?
    }

    private func loadCatalog() async throws -> CatalogSnapshot {
        let snapshot = try await CatalogSnapshot.load(catalog)
        guard snapshot.unreadable.isEmpty else {
            throw BackupError(
                .refused,
                "Cannot read the following backups: \(PythonLiteral.list(snapshot.unreadable.map(PythonLiteral.string)).repr); "
                    + "unsafe to proceed with deletion due to failure reading backup catalog")
        }
        return snapshot
    }

    /// Deletes one backup and then its unneeded WAL; `false` when there was no such backup.
    private func delete(_ backupID: String, state: inout DeletionState, skipWALCleanupIfStandalone: Bool) async throws
        -> Bool
    {
        guard let info = state.snapshot.info(backupID) else {
            logger.warning("Backup \(backupID) does not exist")
            return false
        }
        if info.raw("snapshots_info") != nil {
            throw BackupError(
                .refused, "Backup \(backupID) is a snapshot backup: deleting cloud snapshots is not supported")
        }
        let layout = catalog.layout
        let infoKey = layout.backupInfoKey(backupID)
        let objects = Self.deletionOrder(
            try await catalog.store.list(prefix: layout.backupPrefix(backupID), delimiter: nil).objects
                .map(\.key).filter { $0 != infoKey },
            folder: layout.backupPrefix(backupID))
        if dryRun {
            output("Skipping deletion of objects \(Self.pythonList(objects + [infoKey])) due to --dry-run option")
        } else {
            do {
                try await catalog.store.delete(keys: objects, concurrency: concurrency)
                // Only once everything else is gone: a retry can then finish an interrupted delete.
                try await catalog.store.delete(infoKey)
            } catch let error as StorageError {
                throw StorageError(error.kind, "Could not delete backup \(backupID): \(error.message)")
            }
        }
        await removeWAL(after: info, state: &state, skipIfStandalone: skipWALCleanupIfStandalone)
        // After the WAL: the WAL rules need the deleted backup still in the catalog.
        state.snapshot = state.snapshot.removing(backupID)
        return true
    }

    /// Removes the WAL no remaining backup needs. Failures here are reported and the run goes on,
    /// as in barman-cloud: the backup is already gone, and a later delete trims the WAL again.
    ///
    /// As in barman-cloud, the WAL objects are listed once per run and the hash directories again
    /// for each deleted backup. In a dry run nothing disappears from the store, so a directory
    /// reported once is reported again for the next backup, exactly as barman-cloud reports it.
    private func removeWAL(after deleted: BackupInfo, state: inout DeletionState, skipIfStandalone: Bool) async {
        let store = catalog.store
        let inventory: WALInventory
        do {
            var entries = state.inventory?.entries
            if entries == nil {
                entries = try await WALInventory.load(store: store, layout: catalog.layout, withPrefixes: false).entries
            }
            let prefixes = try await store.list(prefix: catalog.layout.walsPrefix, delimiter: "/").commonPrefixes
            inventory = WALInventory(prefixes: prefixes, entries: entries ?? [])
        } catch {
            logger.error(
                "Cannot clean up WALs for backup \(deleted.backupID) because an error occurred listing WALs: \(error)")
            return
        }
        let plan = RetentionWALCleanup.plan(
            deleting: deleted, catalog: state.snapshot, inventory: inventory, skipIfStandalone: skipIfStandalone)
        var removedPrefixes: [String] = []
        for prefix in plan.prefixes {
            if dryRun {
                output("Skipping deletion of all objects under prefix \(prefix) due to --dry-run option")
                continue
            }
            do {
                try await store.delete(under: prefix, concurrency: concurrency)
                removedPrefixes.append(prefix)
            } catch {
                logger.error("Could not delete the WALs under \(prefix) for backup \(deleted.backupID): \(error)")
            }
        }
        var removedKeys: Set<String> = []
        if !plan.keys.isEmpty {
            if dryRun {
                output("Skipping deletion of objects \(Self.pythonList(plan.keys)) due to --dry-run option")
                removedKeys = Set(plan.keys)
            } else {
                do {
                    try await store.delete(keys: plan.keys, concurrency: concurrency)
                    removedKeys = Set(plan.keys)
                } catch {
                    let keys = Self.pythonList(plan.keys)
                    logger.error("Could not delete the following WALs for backup \(deleted.backupID): \(keys), Reason: \(error)")
                }
            }
        }
        state.inventory = inventory.removing(keys: removedKeys, prefixes: removedPrefixes)
    }

    /// barman-cloud's order (so dry-run reports match): the data tar, then tablespace tars by
    /// oid, each followed by its split parts; then any other object of the folder by key (an
    /// encrypted tar among them: barman-cloud knows no `.cwenc` tar).
    public static func deletionOrder(_ keys: [String], folder: String) -> [String] {
        func rank(_ key: String) -> (group: Int, oid: Int, part: Int, key: String) {
            guard !EncryptedObjectName.isEncrypted(key), let tar = BackupTarName.parse(String(key.dropFirst(folder.count))) else {
                return (1, 0, 0, key)
            }
            return (0, tar.name == "data" ? -1 : Int(tar.name) ?? 0, tar.part, key)
        }
        return keys.map(rank).sorted { a, b in
            if a.group != b.group { return a.group < b.group }
            if a.oid != b.oid { return a.oid < b.oid }
            if a.part != b.part { return a.part < b.part }
            return a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }.map(\.key)
    }

    static func pythonList(_ items: [String]) -> String {
        PythonLiteral.list(items.map(PythonLiteral.string)).repr
    }
}
