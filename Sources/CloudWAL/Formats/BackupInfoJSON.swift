/// A `backup.info` as barman's `BackupInfo.to_json()` gives it, for `backup-list`/`backup-show
/// --format json`: every field in name order, typed as barman loads it (numbers, lists, dicts),
/// times as `ctime()` text plus `*_time_iso` members, then `backup_id`.
extension BackupInfo {
    /// Fields barman loads with `int()`.
    static let integerFields: Set<String> = [
        "begin_offset", "cluster_size", "deduplicated_size", "end_offset", "size", "timeline", "version",
        "xlog_segment_size",
    ]
    /// Fields barman loads with `ast.literal_eval` and hands to JSON as the Python value.
    static let literalFields: Set<String> = ["copy_stats", "included_files", "snapshots_info"]
    /// Written only when set (`_hide_if_null`).
    static let hiddenIfNull: Set<String> = ["backup_name", "snapshots_info"]

    /// Every field barman's `BackupInfo` has, in the order `to_json` emits them.
    static var jsonFieldOrder: [String] {
        (barmanFields + ["backup_name", "snapshots_info"]).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    public var barmanJSON: PythonJSON {
        var members: [PythonJSON.Member] = []
        for key in Self.jsonFieldOrder {
            let value = jsonValue(key)
            if value == .null, Self.hiddenIfNull.contains(key) { continue }
            members.append(PythonJSON.Member(key, value))
        }
        members.append(PythonJSON.Member("backup_id", .string(backupID)))
        if let beginTime { members.append(PythonJSON.Member("begin_time_iso", .string(beginTime.isoFormat))) }
        if let endTime { members.append(PythonJSON.Member("end_time_iso", .string(endTime.isoFormat))) }
        return .object(members)
    }

    private func jsonValue(_ key: String) -> PythonJSON {
        // Absent fields take barman's defaults.
        guard let raw = raw(key) else {
            switch key {
            case "status": return .string(Status.empty.rawValue)
            case "xlog_segment_size": return .int(16 << 20)
            default: return .null
            }
        }
        switch key {
        case _ where Self.integerFields.contains(key):
            return Int(raw).map(PythonJSON.int) ?? .string(raw)
        case "begin_time", "end_time":
            return (try? Timestamp(parsing: raw)).map { .string($0.ctime) } ?? .string(raw)
        case "tablespaces":
            let list = tablespaces
            return list.isEmpty
                ? .null : .array(list.map { .array([.string($0.name), .int($0.oid), .string($0.location)]) })
        case "backup_label":
            // barman dumps it back with repr(), so JSON carries the Python literal text; an empty
            // label is falsy and dumps as None.
            guard let literal = try? PythonLiteral(parsing: raw) else { return .string(raw) }
            if case .string("") = literal { return .null }
            return .string(literal.repr)
        case _ where Self.literalFields.contains(key):
            return (try? PythonLiteral(parsing: raw)).map(PythonJSON.init) ?? .string(raw)
        default:
            return .string(raw)
        }
    }
}
