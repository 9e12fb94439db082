/// Finding and reading a backup's manifest, plain (`cloudwal-manifest.json`) or encrypted
/// (`cloudwal-manifest.json.cwenc`): one reader for restore and verify.
enum BackupManifestFile {
    static let limit = 16 << 20

    enum Found: Sendable, Equatable {
        case absent
        case plain(key: String)
        case encrypted(key: String)
        /// Both names at once: no backup writes that, so neither is trusted.
        case ambiguous
    }

    static func find(in objects: [ObjectInfo], prefix: String) -> Found {
        let plain = objects.contains { $0.key == prefix + BackupManifest.fileName }
        let encrypted = objects.contains { $0.key == prefix + BackupManifest.encryptedFileName }
        switch (plain, encrypted) {
        case (false, false): return .absent
        case (true, false): return .plain(key: prefix + BackupManifest.fileName)
        case (false, true): return .encrypted(key: prefix + BackupManifest.encryptedFileName)
        case (true, true): return .ambiguous
        }
    }

    /// Why the manifest found cannot vouch for these parts, or nil. An encrypted part is only as
    /// complete as an encrypted manifest says: a plain manifest (or none) beside encrypted parts
    /// could be anyone's, listing fewer parts than were written.
    static func mismatch(_ found: Found, parts: [BackupTarFiles.Part]) -> String? {
        guard parts.contains(where: \.isEncrypted) else { return nil }
        switch found {
        case .encrypted: return nil
        case .absent: return "its tars are encrypted but \(BackupManifest.encryptedFileName) is missing"
        case .plain, .ambiguous:
            return "its tars are encrypted but its manifest is not \(BackupManifest.encryptedFileName) alone"
        }
    }

    /// The manifest at `key`, decrypted when it is encrypted; nil when it is not one this version
    /// understands. Decryption failures as `BackupPartReader` reports them.
    static func read(
        key: String, encrypted: Bool, store: any ObjectStore, layout: ArchiveLayout, keys: (any ObjectKeyProvider)?
    ) async throws -> BackupManifest? {
        var bytes = try await store.get(key).collect(limit: limit)
        if encrypted {
            bytes = try await SealedBackupFile.open(bytes, key: key, identity: layout.backupObjectIdentity(key: key), keys: keys)
        }
        return BackupManifest(json: String(decoding: bytes, as: UTF8.self))
    }
}
