/// How barman-cloud's catalog commands (`backup-show`, `-keep`, `-delete`) turn what the operator
/// typed into a backup id (`CloudBackupCatalog.parse_backup_id`).
///
/// This differs from `BackupCatalog.resolve` on purpose: `latest`/`oldest` skip only STARTED
/// backups (a FAILED one can be the latest), and an id-shaped argument is taken as is even when no
/// such backup exists, so `backup-delete -b <gone id>` stays idempotent as in barman-cloud.
extension CatalogSnapshot {
    /// `YYYYMMDDTHHMMSS`: barman's backup id shape (`utils.is_backup_id`).
    public static func isBackupID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 15, bytes[8] == UInt8(ascii: "T") else { return false }
        return bytes.enumerated().allSatisfy { index, byte in index == 8 || (byte >= 48 && byte <= 57) }
    }

    /// The backup id `requested` stands for: an id-shaped string as is, else a shortcut
    /// (`latest`/`last`, `oldest`/`first`, `last-failed`), else a backup name.
    public func resolveID(_ requested: String, serverName: String) throws -> String {
        if Self.isBackupID(requested) { return requested }
        let shortcut: BackupInfo?
        switch requested {
        case "latest", "last": shortcut = backups.last { $0.status != .started }
        case "oldest", "first": shortcut = backups.first { $0.status != .started }
        case "last-failed": shortcut = backups.last { $0.status == .failed }
        default: shortcut = nil
        }
        if let shortcut { return shortcut.backupID }
        let named = backups.filter { $0.backupName == requested }
        if named.count > 1 {
            throw BackupError(
                .invalidInput,
                "Multiple backups found matching name '\(requested)' (try using backup ID instead): "
                    + named.map(\.backupID).joined(separator: " "))
        }
        guard let match = named.first else {
            throw BackupError(.notFound, "Unknown backup '\(requested)' for server '\(serverName)'")
        }
        return match.backupID
    }
}

extension BackupCatalog {
    /// `resolveID` without reading the whole catalog when the argument is already an id, as
    /// barman-cloud does (one `backup.info` read for `backup-show 20260101T120000`).
    public func resolveCatalogID(_ requested: String) async throws -> String {
        if CatalogSnapshot.isBackupID(requested) { return requested }
        let snapshot = try await CatalogSnapshot.load(self, withKeepTargets: false)
        return try snapshot.resolveID(requested, serverName: layout.serverName)
    }
}
