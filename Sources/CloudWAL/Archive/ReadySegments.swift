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

    /// Up to `limit` segments marked ready after `wal`, oldest first, skipping `excluding`.
    /// An unreadable `archive_status` gives none: archiving ahead is an optimisation.
    public static func after(
        _ wal: WALFileName, inWALDirectory walDirectory: String, limit: Int, excluding: Set<String> = []
    ) -> [WALFileName] {
        guard limit > 0, wal.kind == .segment,
            let entries = try? FileSystemOps.contents(of: statusDirectory(ofWALDirectory: walDirectory))
        else { return [] }
        let requested = wal.name.uppercased()
        var found: [WALFileName] = []
        // `contents(of:)` is sorted by name, which for same-timeline segments is their order.
        for entry in entries where !entry.isDirectory && entry.name.hasSuffix(".ready") {
            let name = String(entry.name.dropLast(".ready".count))
            guard let candidate = WALFileName(name), candidate.kind == .segment,
                candidate.timeline == wal.timeline, name == name.uppercased(), name > requested,
                !excluding.contains(name)
            else { continue }
            found.append(candidate)
            if found.count == limit { break }
        }
        return found
    }

    /// Whether PostgreSQL still has `segment` marked ready (not yet archived by its archiver).
    public static func isReady(_ segment: String, inWALDirectory walDirectory: String) -> Bool {
        FileSystemOps.exists("\(statusDirectory(ofWALDirectory: walDirectory))/\(segment).ready")
    }
}
