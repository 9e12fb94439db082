/// The tar objects of one backup, found by listing its folder as barman-cloud's
/// `get_backup_files` does: `data.tar[.ext]` and `<oid>.tar[.ext]` per tablespace, each followed by
/// its split parts `_0001`, `_0002`, ... in order.
public struct BackupTarFiles: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        /// The full object key.
        public let key: String
        /// The name inside the backup folder (the manifest's key).
        public let fileName: String
        public let index: Int
        public let compression: Compression?
        public let storedBytes: Int

        /// Stored encrypted (`.cwenc`): read through the backup's keys.
        public var isEncrypted: Bool { EncryptedObjectName.isEncrypted(fileName) }
    }

    /// One tar stream: PGDATA (`oid == nil`) or a tablespace.
    public struct Group: Sendable, Equatable {
        public let name: String
        public var oid: Int? { Int(name) }
        public var parts: [Part]
    }

    /// PGDATA first, then tablespaces by oid.
    public let groups: [Group]

    public var totalStoredBytes: Int { groups.reduce(0) { $0 + $1.parts.reduce(0) { $0 + $1.storedBytes } } }
    public var fileNames: [String] { groups.flatMap { $0.parts.map(\.fileName) } }

    /// Sorts a listing of the backup folder into groups; unknown objects are ignored (returned
    /// for a warning). A missing `data` tar, a missing tablespace tar, a gap in the parts or one
    /// part stored twice (two compressions) is an error: restoring that would be silently wrong.
    public static func find(
        in objects: [ObjectInfo], backupPrefix: String, tablespaceOIDs: [Int]
    ) throws -> (files: BackupTarFiles, ignored: [String]) {
        var byName: [String: [Part]] = [:]
        var ignored: [String] = []
        for object in objects where object.key.hasPrefix(backupPrefix) {
            let fileName = String(object.key.dropFirst(backupPrefix.count))
            if fileName == "backup.info" || BackupManifest.isManifest(fileName) || fileName.contains("/") { continue }
            guard let parsed = BackupTarName.parse(fileName) else {
                ignored.append(fileName)
                continue
            }
            byName[parsed.name, default: []].append(
                Part(key: object.key, fileName: fileName, index: parsed.part, compression: parsed.compression,
                     storedBytes: object.size))
        }
        let wanted = ["data"] + tablespaceOIDs.sorted().map(String.init)
        var groups: [Group] = []
        for name in wanted {
            guard var parts = byName.removeValue(forKey: name), !parts.isEmpty else {
                throw BackupError(.corrupt, "Missing file \(backupPrefix)\(name).tar* in the backup")
            }
            parts.sort { $0.index < $1.index }
            for (expected, part) in parts.enumerated() where part.index != expected {
                if part.index < expected {
                    throw BackupError(.corrupt, "Backup part \(part.fileName) is stored more than once")
                }
                throw BackupError(
                    .corrupt, "Backup part \(BackupTarName.fileName(name: name, part: expected, compression: part.compression)) is missing")
            }
            groups.append(Group(name: name, parts: parts))
        }
        ignored += byName.values.flatMap { $0.map(\.fileName) }
        return (BackupTarFiles(groups: groups), ignored.sorted())
    }
}
