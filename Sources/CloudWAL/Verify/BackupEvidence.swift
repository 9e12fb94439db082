/// Everything verify learned about one backup, gathered before any check runs: its record, the
/// listing of its folder, its manifest, what reading its tars gave, and what the WAL it needs
/// looks like. The checks (`BackupChecks`) only read this.
public struct BackupEvidence: Sendable {
    public enum ManifestState: Sendable, Equatable {
        /// No `cloudwal-manifest.json`: a barman-cloud backup.
        case absent
        case unreadable(String)
        case present(BackupManifest)

        public var manifest: BackupManifest? {
            if case .present(let manifest) = self { return manifest }
            return nil
        }
    }

    /// The state of one segment the backup needs to become consistent.
    public enum NeededSegment: Sendable, Equatable {
        case missing
        case damaged
        case good
    }

    public let info: BackupInfo
    public let prefix: String
    public let layout: BackupTarLayout
    public let manifest: ManifestState
    /// Readings by part file name (with a manifest) or by tar name (`data`, an oid) without.
    public var readings: [String: ObjectReading] = [:]
    /// The segments from `begin_wal` to `end_wal`, named, in order; empty when they are unknown.
    public var neededWAL: [(name: String, state: NeededSegment)] = []

    public init(info: BackupInfo, prefix: String, objects: [ObjectInfo], manifest: ManifestState) {
        self.info = info
        self.prefix = prefix
        self.layout = BackupTarLayout(objects: objects, prefix: prefix)
        self.manifest = manifest
    }

    public var subject: VerifyFinding.Subject { .backup(info.backupID) }
}

/// A backup folder's objects sorted as barman-cloud's `get_backup_files` sees them: tar parts by
/// tar name (`data`, tablespace oids), and whatever else is there.
public struct BackupTarLayout: Sendable, Equatable {
    /// Tar name -> parts, sorted by part index (two compressions of one part both appear).
    public let tars: [String: [BackupTarFiles.Part]]
    /// Objects that are neither tars nor the backup's own files.
    public let unexpected: [String]
    /// Stored size by file name, for every object directly in the folder.
    public let sizes: [String: Int]
    /// Every tar part by file name (a large backup has thousands: no linear search per part).
    private let partsByFileName: [String: BackupTarFiles.Part]

    public init(objects: [ObjectInfo], prefix: String) {
        var tars: [String: [BackupTarFiles.Part]] = [:]
        var unexpected: [String] = []
        var sizes: [String: Int] = [:]
        for object in objects where object.key.hasPrefix(prefix) {
            let fileName = String(object.key.dropFirst(prefix.count))
            if fileName.hasPrefix("annotations/") { continue }
            sizes[fileName] = object.size
            if fileName == "backup.info" || BackupManifest.isManifest(fileName) { continue }
            guard !fileName.contains("/"), let parsed = BackupTarName.parse(fileName) else {
                unexpected.append(fileName)
                continue
            }
            tars[parsed.name, default: []].append(
                BackupTarFiles.Part(
                    key: object.key, fileName: fileName, index: parsed.part, compression: parsed.compression,
                    storedBytes: object.size))
        }
        self.tars = tars.mapValues { $0.sorted { ($0.index, $0.fileName) < ($1.index, $1.fileName) } }
        self.unexpected = unexpected.sorted()
        self.sizes = sizes
        partsByFileName = Dictionary(tars.values.joined().map { ($0.fileName, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var parts: [BackupTarFiles.Part] { tars.keys.sorted().flatMap { tars[$0] ?? [] } }

    public func part(named fileName: String) -> BackupTarFiles.Part? { partsByFileName[fileName] }
}
