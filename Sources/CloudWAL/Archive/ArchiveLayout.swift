/// Where barman-cloud keeps each WAL file, so either tool restores what the other archived:
/// `<prefix>/<server>/wals/<TTTTTTTTLLLLLLLL>/<name><ext>`, and `.history` directly in `wals/`.
public struct ArchiveLayout: Sendable, Equatable {
    public let prefix: String
    public let serverName: String

    /// Fails for a server name that would not stay one path component.
    public init(prefix: String, serverName: String) throws {
        guard !serverName.isEmpty, !serverName.contains("/"), !serverName.hasPrefix("."),
            !serverName.utf8.contains(where: { $0 < 0x20 })
        else {
            throw WALError(.invalidInput, "Invalid server name '\(serverName)': it must be one path component")
        }
        self.prefix = prefix
        self.serverName = serverName
    }

    /// `os.path.join(prefix, server)`: an empty prefix adds nothing, a trailing `/` is not doubled.
    public var serverPrefix: String {
        if prefix.isEmpty { return serverName }
        return prefix.hasSuffix("/") ? prefix + serverName : "\(prefix)/\(serverName)"
    }

    /// The folder holding every WAL object, with its trailing `/`.
    public var walsPrefix: String { "\(serverPrefix)/wals/" }

    /// The object key for `wal` stored with `compression`, and encrypted (`.cwenc`) or not.
    public func key(for wal: WALFileName, compression: Compression?, encrypted: Bool = false) -> String {
        searchPrefix(for: wal) + (compression?.fileExtension ?? "") + (encrypted ? EncryptedObjectName.suffix : "")
    }

    /// The key prefix every stored form of `wal` (any compression, and its `.partial`) starts with.
    public func searchPrefix(for wal: WALFileName) -> String {
        if let hash = wal.hashDirectory {
            return "\(walsPrefix)\(hash)/\(wal.name)"
        }
        return walsPrefix + wal.name
    }

    /// Recognises a WAL object key: the WAL name and the compression its extension names, under
    /// an encrypted object's `.cwenc` too (`EncryptedObjectName.isEncrypted` tells them apart).
    /// Keys with an unknown extension, or that are no WAL name once the extension is gone, give `nil`.
    public static func parseObjectName(_ key: String) -> (wal: WALFileName, compression: Compression?)? {
        let base = EncryptedObjectName.plainName(key.split(separator: "/").last.map(String.init) ?? key)
        if let wal = WALFileName(base) { return (wal, nil) }
        guard let compression = Compression.detect(fromName: base),
            let wal = WALFileName(String(base.dropLast(compression.fileExtension.count)))
        else { return nil }
        return (wal, compression)
    }
}

/// The user-metadata keys cloud-wal attaches to each WAL object.
public enum ObjectMetadataKey {
    /// Hex SHA-256 of the uncompressed content, checked on restore and on duplicate detection.
    public static let sha256 = "cloudwal-sha256"
    /// Size of the uncompressed content in bytes.
    public static let size = "cloudwal-size"
    /// The system identifier of the cluster that wrote a segment (decimal, as `pg_controldata`
    /// shows it), from the segment's long page header; absent for `.history` and `.backup` files.
    public static let systemIdentifier = "cloudwal-sysid"
}
