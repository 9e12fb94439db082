/// What an encrypted object is, as its chunks authenticate it: renaming an object onto another
/// name (another segment, another server, another backup's file) makes every chunk fail.
///
/// The store prefix is not part of it, so an archive copied to another bucket or path still
/// decrypts; the server name is, as barman-cloud's layout puts each server in its own folder.
public enum LogicalIdentity {
    /// `wal/<server>/<WAL file name>`: the name as stored, with `.partial`, `.history` or
    /// `.backup`, without the compression's extension (the codec checks catch a changed one).
    public static func wal(server: String, walName: String) -> String {
        "wal/\(server)/\(walName)"
    }

    /// `backup/<server>/<backup id>/<file>`, the file's name inside the backup's folder.
    public static func backup(server: String, backupID: String, file: String) -> String {
        "backup/\(server)/\(backupID)/\(file)"
    }
}
