/// The catalog read once: every backup with a readable `backup.info` (sorted by id, so oldest
/// first), the ids whose `backup.info` could not be read, and the keep targets.
///
/// barman-cloud's catalog commands work from one such reading (its cached `get_backup_list`), and
/// a retention run updates it as backups go rather than listing the bucket again: the snapshot
/// is a value, and `removing` gives the state after a deletion (also in a dry run).
public struct CatalogSnapshot: Sendable {
    public private(set) var backups: [BackupInfo]
    /// Backups whose folder holds a `backup.info` that could not be parsed.
    public let unreadable: [String]
    public private(set) var keepTargets: [String: KeepTarget]

    public init(backups: [BackupInfo], unreadable: [String] = [], keepTargets: [String: KeepTarget] = [:]) {
        self.backups = backups.sorted { $0.backupID.utf8.lexicographicallyPrecedes($1.backupID.utf8) }
        self.unreadable = unreadable
        self.keepTargets = keepTargets
    }

    /// Reads every `backup.info` and, when `withKeepTargets`, every keep annotation.
    /// A folder without `backup.info` is no backup (an upload that never finished).
    public static func load(_ catalog: BackupCatalog, withKeepTargets: Bool = true) async throws -> CatalogSnapshot {
        var backups: [BackupInfo] = []
        var unreadable: [String] = []
        for id in try await catalog.backupIDs() {
            do {
                if let info = try await catalog.info(id) { backups.append(info) }
            } catch let error as BackupError {
                catalog.logger.warning("Unable to open backup.info file for \(id): \(error)")
                unreadable.append(id)
            }
        }
        let keeps = withKeepTargets
            ? try await KeepAnnotations(store: catalog.store, layout: catalog.layout).allTargets() : [:]
        return CatalogSnapshot(backups: backups, unreadable: unreadable, keepTargets: keeps)
    }

    public func info(_ backupID: String) -> BackupInfo? {
        backups.first { $0.backupID == backupID }
    }

    public func keepTarget(_ backupID: String) -> KeepTarget? { keepTargets[backupID] }

    /// The catalog once `backupID` is gone.
    public func removing(_ backupID: String) -> CatalogSnapshot {
        var copy = self
        copy.backups.removeAll { $0.backupID == backupID }
        copy.keepTargets[backupID] = nil
        return copy
    }
}
