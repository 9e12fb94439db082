/// How an encrypted object is named: its plain name (with any compression extension) plus
/// `.cwenc`. barman-cloud strips only compression extensions before matching a WAL name, so
/// `000000010000000000000001.zst.cwenc` is never taken for the segment (it reports it missing)
/// and ciphertext never reaches PostgreSQL through barman-cloud-wal-restore.
public enum EncryptedObjectName {
    public static let suffix = ".cwenc"

    public static func isEncrypted(_ key: String) -> Bool {
        key.hasSuffix(suffix)
    }

    /// The name without `.cwenc` (unchanged when it has none).
    public static func plainName(_ name: String) -> String {
        isEncrypted(name) ? String(name.dropLast(suffix.count)) : name
    }
}
