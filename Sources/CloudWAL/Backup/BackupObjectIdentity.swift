/// The logical identity an encrypted backup object's chunks authenticate:
/// `backup/<server>/<backup id>/<file>`, the file being its name in the backup's folder without
/// `.cwenc` (`data_0001.tar.gz`, `cloudwal-manifest.json`). A part renamed, or moved into another
/// backup's folder or another server's, no longer decrypts.
extension ArchiveLayout {
    public func backupObjectIdentity(backupID: String, fileName: String) -> String {
        LogicalIdentity.backup(server: serverName, backupID: backupID, file: EncryptedObjectName.plainName(fileName))
    }

    /// The identity of the object stored at `key`, read from the key itself (the backup's folder
    /// and the file's name): what a reader holds.
    public func backupObjectIdentity(key: String) -> String {
        let rest = key.hasPrefix(basePrefix) ? key.dropFirst(basePrefix.count) : Substring(key)
        guard let slash = rest.firstIndex(of: "/") else {
            return backupObjectIdentity(backupID: "", fileName: String(rest))
        }
        return backupObjectIdentity(backupID: String(rest[..<slash]), fileName: String(rest[rest.index(after: slash)...]))
    }
}
