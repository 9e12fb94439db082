/// Where base backups live, in barman-cloud's layout:
/// `<prefix>/<server>/base/<backup_id>/backup.info`, `data.tar[.ext]`, `<oid>.tar[.ext]`, split parts
/// `data_0001.tar[.ext]`, ..., and the keep annotation `annotations/keep`.
extension ArchiveLayout {
    /// The folder holding every backup, with its trailing `/`.
    public var basePrefix: String { "\(serverPrefix)/base/" }

    /// One backup's folder, with its trailing `/`.
    public func backupPrefix(_ backupID: String) -> String { basePrefix + backupID + "/" }

    public func backupInfoKey(_ backupID: String) -> String { backupPrefix(backupID) + "backup.info" }

    public func keepAnnotationKey(_ backupID: String) -> String { backupPrefix(backupID) + "annotations/keep" }

    /// A tar's key: `name` is `data` or a tablespace oid; part 0 has no suffix, later parts `_0001`...
    /// An encrypted tar ends in `.cwenc` (`data.tar.gz.cwenc`).
    public func tarKey(_ backupID: String, name: String, part: Int, compression: Compression?, encrypted: Bool = false) -> String {
        backupPrefix(backupID) + BackupTarName.fileName(name: name, part: part, compression: compression)
            + (encrypted ? EncryptedObjectName.suffix : "")
    }
}

/// The names of a backup's tar files and what they say about themselves.
public enum BackupTarName {
    /// barman-cloud 3.19 reads gzip, bzip2, snappy and lz4 tars (3.20 adds zstd); we read and write
    /// every codec we have. The extension is the only record of the codec, as for WAL: barman
    /// leaves `backup.info`'s `compression` at `None` for cloud backups, and so do we.
    public static func fileName(name: String, part: Int, compression: Compression?) -> String {
        let suffix = part > 0 ? "_" + String(repeating: "0", count: max(0, 4 - String(part).count)) + String(part) : ""
        return "\(name)\(suffix).tar\(compression?.fileExtension ?? "")"
    }

    /// Splits `data_0002.tar.gz` into (`data`, 2, gzip); `nil` for anything else. An encrypted
    /// tar's `.cwenc` is looked through (`BackupTarFiles.Part.isEncrypted` tells them apart).
    public static func parse(_ fileName: String) -> (name: String, part: Int, compression: Compression?)? {
        let pieces = EncryptedObjectName.plainName(fileName).split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count >= 2, pieces[1] == "tar" else { return nil }
        let stem = String(pieces[0])
        let extensionText = pieces.count == 3 ? "." + pieces[2] : ""
        let compression: Compression?
        if extensionText.isEmpty {
            compression = nil
        } else if let codec = Compression.allCases.first(where: { $0.fileExtension == extensionText }) {
            compression = codec
        } else {
            return nil
        }
        var name = stem
        var part = 0
        if let underscore = stem.lastIndex(of: "_"), let number = Int(stem[stem.index(after: underscore)...]),
            stem.distance(from: underscore, to: stem.endIndex) == 5
        {
            name = String(stem[..<underscore])
            part = number
        }
        guard name == "data" || Int(name) != nil else { return nil }
        return (name, part, compression)
    }
}
