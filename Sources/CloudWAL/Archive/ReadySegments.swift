/// The segments PostgreSQL has finished and marked for archiving, read from
/// `<pg_wal>/archive_status/*.ready` (only read: the archiver renames them itself).
///
/// Only full segments qualify for archiving ahead: `.history`, `.partial` and `.backup` files
/// are few, PostgreSQL asks for them itself (history files first), and a `.partial` may still
/// grow. Only later segments on the same timeline, in name order (PostgreSQL's archiving order
/// within a timeline), so a call works on what PostgreSQL will ask for next.
public enum ReadySegments {
    public static func statusDirectory(ofWALDirectory walDirectory: String) -> String {
        "\(walDirectory)/archive_status"
    }

    /// Every full segment marked ready, oldest first (name order, which is archiving order
    /// within a timeline); nil when `archive_status` cannot be read.
    public static func all(inWALDirectory walDirectory: String) -> [WALFileName]? {
        guard let entries = try? FileSystemOps.contents(of: statusDirectory(ofWALDirectory: walDirectory)) else {
            return nil
        }
        // `contents(of:)` is sorted by name.
        return entries.compactMap { entry in
            guard !entry.isDirectory, entry.name.hasSuffix(".ready") else { return nil }
            let name = String(entry.name.dropLast(".ready".count))
            guard let wal = WALFileName(name), wal.kind == .segment, name == name.uppercased() else { return nil }
            return wal
        }
    }

    /// Up to `limit` segments marked ready after `wal`, oldest first, skipping `excluding`.
    /// An unreadable `archive_status` gives none: archiving ahead is an optimisation.
    public static func after(
        _ wal: WALFileName, inWALDirectory walDirectory: String, limit: Int, excluding: Set<String> = []
    ) -> [WALFileName] {
        guard limit > 0, wal.kind == .segment, let ready = all(inWALDirectory: walDirectory) else { return [] }
        let requested = wal.name.uppercased()
        return Array(
            ready.lazy.filter { $0.timeline == wal.timeline && $0.name > requested && !excluding.contains($0.name) }
                .prefix(limit))
    }

    /// Whether PostgreSQL still has `segment` marked ready (not yet archived by its archiver).
    public static func isReady(_ segment: String, inWALDirectory walDirectory: String) -> Bool {
        FileSystemOps.exists("\(statusDirectory(ofWALDirectory: walDirectory))/\(segment).ready")
    }
}
