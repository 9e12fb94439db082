/// A base backup's `backup.info`, in barman's format: `key=value` lines sorted by key, values as
/// Python literals or plain text, `None` for unset. Both tools read each other's files, so the
/// raw lines are kept as read (fields we do not model survive a rewrite, e.g. `backup-keep`), and
/// typed properties read and write through them.
public struct BackupInfo: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case empty = "EMPTY"
        case started = "STARTED"
        case failed = "FAILED"
        case waitingForWALs = "WAITING_FOR_WALS"
        case done = "DONE"
        case syncing = "SYNCING"
    }

    public struct Tablespace: Sendable, Equatable {
        public let name: String
        public let oid: Int
        public let location: String
        public init(name: String, oid: Int, location: String) {
            self.name = name
            self.oid = oid
            self.location = location
        }
    }

    /// Every field barman 3.19 writes, so a file we create has the shape barman expects.
    /// `backup_name` and `snapshots_info` are written only when set, as barman does.
    public static let barmanFields = [
        "backup_label", "begin_offset", "begin_time", "begin_wal", "begin_xlog", "children_backup_ids",
        "cluster_size", "compression", "config_file", "copy_stats", "data_checksums", "deduplicated_size",
        "encryption", "end_offset", "end_time", "end_wal", "end_xlog", "error", "hba_file", "ident_file",
        "included_files", "mode", "parent_backup_id", "pgdata", "server_name", "size", "status",
        "summarize_wal", "systemid", "tablespaces", "timeline", "version", "xlog_segment_size",
    ]

    /// The backup's id: its folder name under `base/`, not a line of the file.
    public var backupID: String
    /// Raw values by key, exactly as they appear after `=`.
    public private(set) var fields: [String: String]

    /// A new, empty record with barman's defaults.
    public init(backupID: String) {
        self.backupID = backupID
        var fields: [String: String] = [:]
        for key in Self.barmanFields { fields[key] = "None" }
        fields["status"] = Status.empty.rawValue
        fields["xlog_segment_size"] = String(16 << 20)
        self.fields = fields
    }

    /// Reads a `backup.info`; `#` comments and blank lines are skipped as barman does.
    public init(backupID: String, text: String) throws {
        self.backupID = backupID
        var fields: [String: String] = [:]
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw BackupError(.corrupt, "backup.info of \(backupID) has an invalid line: \(line.prefix(80))")
            }
            fields[line[..<equals].trimmingWhitespace()] = line[line.index(after: equals)...].trimmingWhitespace()
        }
        self.fields = fields
        guard status != nil else {
            throw BackupError(.corrupt, "backup.info of \(backupID) has an unknown status '\(raw("status") ?? "")'")
        }
    }

    /// The file's text: sorted lines, `None` fields included except barman's hide-if-null ones.
    public var text: String {
        var out = ""
        for key in fields.keys.sorted() {
            guard let value = fields[key] else { continue }
            if value == "None", key == "backup_name" || key == "snapshots_info" { continue }
            out += "\(key)=\(value)\n"
        }
        return out
    }

    public var bytes: [UInt8] { Array(text.utf8) }

    // MARK: - Raw access

    /// The raw value, `nil` when absent or `None`.
    public func raw(_ key: String) -> String? {
        guard let value = fields[key], value != "None" else { return nil }
        return value
    }

    public mutating func setRaw(_ key: String, _ value: String?) {
        fields[key] = value ?? "None"
    }

    private func int(_ key: String) -> Int? { raw(key).flatMap { Int($0) } }
    private mutating func setInt(_ key: String, _ value: Int?) { setRaw(key, value.map(String.init)) }

    private func time(_ key: String) -> Timestamp? { raw(key).flatMap { try? Timestamp(parsing: $0) } }
    private mutating func setTime(_ key: String, _ value: Timestamp?) { setRaw(key, value?.description) }

    // MARK: - Typed fields

    public var status: Status? {
        get { Status(rawValue: fields["status"] ?? Status.empty.rawValue) }
        set { setRaw("status", (newValue ?? .empty).rawValue) }
    }

    public var backupName: String? {
        get { raw("backup_name") }
        set { setRaw("backup_name", newValue) }
    }

    public var version: Int? {
        get { int("version") }
        set { setInt("version", newValue) }
    }

    public var timeline: Int? {
        get { int("timeline") }
        set { setInt("timeline", newValue) }
    }

    public var beginTime: Timestamp? {
        get { time("begin_time") }
        set { setTime("begin_time", newValue) }
    }

    public var endTime: Timestamp? {
        get { time("end_time") }
        set { setTime("end_time", newValue) }
    }

    public var beginWAL: String? {
        get { raw("begin_wal") }
        set { setRaw("begin_wal", newValue) }
    }

    public var endWAL: String? {
        get { raw("end_wal") }
        set { setRaw("end_wal", newValue) }
    }

    public var beginXLOG: String? {
        get { raw("begin_xlog") }
        set { setRaw("begin_xlog", newValue) }
    }

    public var endXLOG: String? {
        get { raw("end_xlog") }
        set { setRaw("end_xlog", newValue) }
    }

    public var beginOffset: Int? {
        get { int("begin_offset") }
        set { setInt("begin_offset", newValue) }
    }

    public var endOffset: Int? {
        get { int("end_offset") }
        set { setInt("end_offset", newValue) }
    }

    /// Bytes of the backup's tar files as stored.
    public var size: Int? {
        get { int("size") }
        set { setInt("size", newValue) }
    }

    public var clusterSize: Int? {
        get { int("cluster_size") }
        set { setInt("cluster_size", newValue) }
    }

    public var xlogSegmentSize: Int {
        get { int("xlog_segment_size") ?? 16 << 20 }
        set { setInt("xlog_segment_size", newValue) }
    }

    public var systemID: String? {
        get { raw("systemid") }
        set { setRaw("systemid", newValue) }
    }

    public var pgdata: String? {
        get { raw("pgdata") }
        set { setRaw("pgdata", newValue) }
    }

    public var serverName: String? {
        get { raw("server_name") }
        set { setRaw("server_name", newValue) }
    }

    public var mode: String? {
        get { raw("mode") }
        set { setRaw("mode", newValue) }
    }

    /// barman's compression name for the tars (`gzip`, `bzip2`, `snappy`, `lz4`, `zstd`), `nil` for none.
    public var compression: String? {
        get { raw("compression") }
        set { setRaw("compression", newValue) }
    }

    public var error: String? {
        get { raw("error") }
        set { setRaw("error", newValue) }
    }

    public var dataChecksums: String? {
        get { raw("data_checksums") }
        set { setRaw("data_checksums", newValue) }
    }

    /// The label `pg_backup_stop` returned; stored as a Python string literal.
    public var backupLabel: String? {
        get { raw("backup_label").flatMap { try? PythonLiteral(parsing: $0).stringValue } }
        set { setRaw("backup_label", newValue.map(PythonLiteral.repr)) }
    }

    public var configFile: String? {
        get { raw("config_file") }
        set { setRaw("config_file", newValue) }
    }

    public var hbaFile: String? {
        get { raw("hba_file") }
        set { setRaw("hba_file", newValue) }
    }

    public var identFile: String? {
        get { raw("ident_file") }
        set { setRaw("ident_file", newValue) }
    }

    /// `[('name', oid, 'location'), ...]`; barman writes `None` for none.
    public var tablespaces: [Tablespace] {
        get {
            guard let text = raw("tablespaces"), let items = (try? PythonLiteral(parsing: text))?.elements else {
                return []
            }
            return items.compactMap { item in
                guard let parts = item.elements, parts.count == 3, let name = parts[0].stringValue,
                    let oid = parts[1].intValue, let location = parts[2].stringValue
                else { return nil }
                return Tablespace(name: name, oid: oid, location: location)
            }
        }
        set {
            setRaw(
                "tablespaces",
                newValue.isEmpty
                    ? nil
                    : PythonLiteral.list(newValue.map { .tuple([.string($0.name), .int($0.oid), .string($0.location)]) })
                        .repr)
        }
    }

    /// Whether point-in-time recovery can start from this backup.
    public var isUsable: Bool { status == .done }
}
