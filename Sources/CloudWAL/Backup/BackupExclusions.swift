/// What a base backup leaves out, as PostgreSQL documents for the backup API and barman-cloud
/// applies (`postgres_plumbing.EXCLUDE_LIST`): the contents of runtime directories (the
/// directories themselves stay, empty), server state files, and temporary files and relations.
public struct BackupExclusions: Sendable {
    /// Directories kept empty, relative to PGDATA.
    static let emptiedDirectories: Set<String> = [
        "pg_wal", "pg_xlog", "pg_log", "log", "pg_dynshmem", "pg_notify", "pg_replslot", "pg_serial", "pg_stat_tmp",
        "pg_snapshots", "pg_subtrans",
    ]

    /// Files skipped wherever they are. `backup_label` and `tablespace_map` are left out because
    /// the backup writes its own from `pg_backup_stop`; a stale one would confuse recovery.
    static let excludedNames: Set<String> = [
        "postgresql.auto.conf.tmp", "current_logfiles.tmp", "pg_internal.init", "postmaster.pid", "postmaster.opts",
        "recovery.conf", "standby.signal", "backup_label", "tablespace_map", "backup_label.old",
    ]

    /// PGDATA-relative paths excluded besides the rules: tablespaces inside PGDATA and the
    /// `pg_tblspc/<oid>` links (each tablespace is its own tar).
    public var extraPaths: Set<String>

    public init(extraPaths: Set<String> = []) {
        self.extraPaths = extraPaths
    }

    /// Whether the entry at `relativePath` (no leading `/`) of PGDATA goes into the tar.
    public func includes(_ relativePath: String, isDirectory: Bool) -> Bool {
        if extraPaths.contains(relativePath) { return false }
        if !isDirectory, relativePath == "global/pg_control" { return false }  // added last, separately
        let components = relativePath.split(separator: "/")
        // Anything inside an emptied directory.
        if components.count >= 2, Self.emptiedDirectories.contains(String(components[0])) { return false }
        return includesInTablespace(relativePath, isDirectory: isDirectory)
    }

    /// The name rules alone, which are all that apply inside a tablespace (barman's EXCLUDE_LIST).
    public func includesInTablespace(_ relativePath: String, isDirectory: Bool) -> Bool {
        let components = relativePath.split(separator: "/")
        guard let name = components.last.map(String.init) else { return true }
        if name.hasPrefix("pgsql_tmp") { return false }
        if !isDirectory {
            if Self.excludedNames.contains(name) { return false }
            if components.count >= 2, Self.isTemporaryRelation(name), Int(components[components.count - 2]) != nil {
                return false
            }
        }
        return true
    }

    /// `t<backend>_<relfilenode>` (with an optional fork or segment suffix): a temporary relation.
    static func isTemporaryRelation(_ name: String) -> Bool {
        var bytes = Substring(name).utf8.makeIterator()
        guard bytes.next() == UInt8(ascii: "t") else { return false }
        var sawDigit = false
        var sawUnderscore = false
        var digitsAfter = false
        while let byte = bytes.next() {
            if byte >= 48, byte <= 57 {
                if sawUnderscore { digitsAfter = true } else { sawDigit = true }
            } else if byte == UInt8(ascii: "_"), sawDigit, !sawUnderscore {
                sawUnderscore = true
            } else {
                // Forks (`_fsm`, `_vm`, `_init`) and segments (`.1`) of a temporary relation.
                return sawUnderscore && digitsAfter
            }
        }
        return sawUnderscore && digitsAfter
    }
}
