/// The console output of `backup-list` and `backup-show`, line for line as barman-cloud 3.19.1
/// prints it (`cloud_backup_list.py`, `ConsoleOutputWriter.render_show_backup`), trailing
/// padding included, so scripts that cut columns keep working.
public enum CatalogConsole {
    /// `backup-list`: a header, then one row per backup, oldest first. A DONE backup shows its
    /// keep target in the "Archival Status" column; any other backup shows its status there.
    public static func listLines(_ catalog: CatalogSnapshot) -> [String] {
        func row(_ columns: [String]) -> String {
            zip(columns, [20, 25, 30, 17, 20]).map { BarmanText.leftAligned($0, $1) }.joined()
        }
        var lines = [row(["Backup ID", "End Time", "Begin Wal", "Archival Status", "Name"])]
        for info in catalog.backups {
            let archival: String
            if info.status == .done {
                archival = catalog.keepTarget(info.backupID)?.archivalStatus ?? ""
            } else {
                archival = info.raw("status") ?? BackupInfo.Status.empty.rawValue
            }
            lines.append(
                row([
                    info.backupID, info.endTime?.shortFormat ?? "", info.beginWAL ?? "", archival,
                    info.backupName ?? "",
                ]))
        }
        return lines
    }

    /// `backup-show`: general facts, then for a finished backup its tablespaces and base backup
    /// details; for any other backup its error.
    public static func showLines(_ info: BackupInfo) -> [String] {
        func row(_ label: String, _ value: String) -> String { "  \(BarmanText.leftAligned(label, 23)): \(value)" }
        func nested(_ label: String, _ value: String) -> String {
            "    \(BarmanText.leftAligned(label, 21)): \(value)"
        }
        func header(_ title: String) -> String { "  \(title):" }
        /// Python's `"{}".format(value)` of a field: `None` when unset.
        func shown(_ key: String) -> String { info.raw(key) ?? "None" }
        /// A text field Python would find truthy: set and not empty.
        func truthy(_ key: String) -> String? {
            guard let value = info.raw(key), !value.isEmpty else { return nil }
            return value
        }

        let status = info.raw("status") ?? BackupInfo.Status.empty.rawValue
        let finished = status == BackupInfo.Status.done.rawValue || status == BackupInfo.Status.waitingForWALs.rawValue
        var lines = ["Backup \(info.backupID):"]
        if let name = truthy("backup_name") { lines.append(row("Backup Name", name)) }
        lines.append(row("Server Name", shown("server_name")))
        if let systemID = truthy("systemid") { lines.append(row("System Id", systemID)) }
        lines.append(row("Status", status))
        if finished {
            lines.append(row("PostgreSQL Version", shown("version")))
            lines.append(row("PGDATA directory", shown("pgdata")))
            if let size = info.clusterSize, size != 0 {
                lines.append(row("Estimated Cluster Size", BarmanText.prettySize(size)))
            }
        }
        lines.append("")

        let checksums = truthy("data_checksums")
        let summarizer = truthy("summarize_wal")
        if checksums != nil || summarizer != nil {
            lines.append(header("Server information"))
            if let checksums { lines.append(nested("Checksums", checksums)) }
            if let summarizer { lines.append(nested("WAL summarizer", summarizer)) }
            lines.append("")
        }

        guard finished else {
            if let error = truthy("error") { lines.append(row("Error", error)) }
            return lines
        }

        let tablespaces = info.tablespaces
        if !tablespaces.isEmpty {
            lines.append(header("Tablespaces"))
            for tablespace in tablespaces {
                lines.append(nested(tablespace.name, "\(tablespace.location) (oid: \(tablespace.oid))"))
            }
            lines.append("")
        }

        lines.append(header("Base backup information"))
        if let mode = truthy("mode") { lines.append(nested("Backup Method", mode)) }
        if let encryption = truthy("encryption") { lines.append(nested("Encryption", encryption)) }
        if let size = Int(info.raw("deduplicated_size") ?? ""), size != 0 {
            lines.append(nested("Backup Size", BarmanText.prettySize(size)))
        }
        if let compression = truthy("compression"), compression != "none" {
            lines.append(nested("Backup Compression", compression))
        }
        lines.append(nested("Timeline", shown("timeline")))
        lines.append(nested("Begin WAL", shown("begin_wal")))
        lines.append(nested("End WAL", shown("end_wal")))
        lines.append(nested("Begin time", info.beginTime?.description ?? shown("begin_time")))
        lines.append(nested("End time", info.endTime?.description ?? shown("end_time")))
        if let copy = copyStatistics(info), copy.copyTime != 0 {
            var text = BarmanText.humanReadableDuration(seconds: copy.copyTime)
            if copy.analysisTime >= 1 {
                text += " + \(BarmanText.humanReadableDuration(seconds: copy.analysisTime)) startup"
            }
            lines.append(nested("Copy time", text))
        }
        lines.append(nested("Begin Offset", shown("begin_offset")))
        lines.append(nested("End Offset", shown("end_offset")))
        lines.append(nested("Begin LSN", shown("begin_xlog")))
        lines.append(nested("End LSN", shown("end_xlog")))
        lines.append("")
        if info.mode == "postgres", let children = info.raw("children_backup_ids") {
            lines.append(nested("Children Backup(s)", children))
        }
        return lines
    }

    /// `copy_time` and `analysis_time` from the `copy_stats` dict, when there is one.
    private static func copyStatistics(_ info: BackupInfo) -> (copyTime: Double, analysisTime: Double)? {
        guard let raw = info.raw("copy_stats"), case let .dict(pairs)? = try? PythonLiteral(parsing: raw) else {
            return nil
        }
        func number(_ name: String) -> Double {
            switch pairs.first(where: { $0.key == .string(name) })?.value {
            case let .int(value)?: Double(value)
            case let .float(value)?: value
            default: 0
            }
        }
        return (number("copy_time"), number("analysis_time"))
    }
}
