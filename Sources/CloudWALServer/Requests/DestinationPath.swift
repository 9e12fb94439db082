import CloudWAL

/// Where `?dest=` may write: one file directly in the WAL directory, named as PostgreSQL names
/// the files it asks `restore_command` for.
///
/// `restore_command` hands over `%p`, which is always `pg_wal/<name>` relative to PGDATA:
/// `RECOVERYXLOG` or `RECOVERYHISTORY` during recovery, the WAL file's own name for pg_rewind
/// and some standby set-ups. Anyone who can reach the service could otherwise make it write
/// anywhere its user may (`global/pg_control`, `postgresql.conf`, the `pg_wal` symlink itself),
/// so the check is purely textual and strict: the directory part must be spelled exactly as
/// one of the WAL directory's names (`pg_wal`, `$PGDATA/pg_wal`, `$PGWAL`), the last component
/// must be one of those names, and nothing is resolved or normalised. No `..`, `.`, doubled
/// slash, backslash or encoded byte can pass, because no such spelling is on the list.
///
/// Deciding *where* the file goes is then not a path at all: `WALDirectory` opens the WAL
/// directory once and writes the name relative to that descriptor.
public enum DestinationPath {
    public struct Rejected: Error, CustomStringConvertible, Sendable, Equatable {
        public let reason: String
        public var description: String { reason }
    }

    /// The two scratch names PostgreSQL restores into during recovery. A previous copy of
    /// either is replaced; WAL file names never are (see `WALDirectory`).
    public static let scratchNames: Set<String> = ["RECOVERYXLOG", "RECOVERYHISTORY"]

    /// What `dest` may be spelled as, for one sidecar's directories.
    public struct Rules: Sendable, Equatable {
        /// Directory spellings accepted before `/<name>`, without trailing slashes.
        public let directories: [String]

        /// `pg_wal` (relative to PGDATA, as `%p` is), `<PGDATA>/pg_wal` and `<PGWAL>`, plus the
        /// same with the directories' resolved paths when the caller knows them.
        public init(dataDirectory: String, walDirectory: String, resolvedSpellings: [String] = []) {
            var spellings = ["pg_wal"]
            for directory in [Self.trimmed(dataDirectory) + "/pg_wal", Self.trimmed(walDirectory)] + resolvedSpellings.map(Self.trimmed)
            where directory.hasPrefix("/") && directory.count > 1 && !spellings.contains(directory) {
                spellings.append(directory)
            }
            directories = spellings
        }

        private static func trimmed(_ path: String) -> String {
            var path = path
            while path.count > 1, path.hasSuffix("/") { path.removeLast() }
            return path
        }
    }

    /// The longest `dest` looked at; anything longer cannot be one of the accepted spellings
    /// with a name of at most 40 characters, and is refused without further work.
    static let maximumLength = 4096 + 64

    /// The file name in the WAL directory that `dest` names for a fetch of `wal`, or `Rejected`
    /// with a one-line reason that never echoes the input.
    public static func fileName(_ dest: String, fetching wal: WALFileName, rules: Rules) throws -> String {
        guard !dest.isEmpty else { throw Rejected(reason: "dest is empty") }
        guard dest.utf8.count <= maximumLength else { throw Rejected(reason: "dest is too long") }
        guard !dest.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw Rejected(reason: "dest contains a control character")
        }
        // Split on bytes, not Characters: a combining mark after the `/` must stay in the name.
        let bytes = Array(dest.utf8)
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else {
            throw Rejected(reason: "dest must name a file in pg_wal (pg_wal/<name>, as %p is)")
        }
        let directory = String(decoding: bytes[..<slash], as: UTF8.self)
        let name = String(decoding: bytes[(slash + 1)...], as: UTF8.self)
        // Byte-wise comparisons throughout: Swift's `==` on String is canonical equivalence, under
        // which other byte sequences (e.g. U+212A for K) equal an accepted spelling.
        guard rules.directories.contains(where: { $0.utf8.elementsEqual(directory.utf8) }) else {
            throw Rejected(reason: "dest must be directly in the WAL directory (pg_wal/<name>, \(rules.absoluteHint))")
        }
        guard isPostgresName(name) else {
            throw Rejected(reason: "dest must be pg_wal/RECOVERYXLOG, pg_wal/RECOVERYHISTORY or pg_wal/<WAL file name>")
        }
        // A WAL file name is only ever the file being fetched (pg_rewind's %p is pg_wal/%f):
        // writing segment A's content under segment B's name would corrupt B.
        if !isScratchName(name), !name.utf8.elementsEqual(wal.name.utf8) {
            throw Rejected(reason: "dest names another WAL file than the one fetched")
        }
        return name
    }

    /// `RECOVERYXLOG`, `RECOVERYHISTORY`, or a WAL file name (segment, `.partial`, `.backup`,
    /// `.history`).
    public static func isPostgresName(_ name: String) -> Bool {
        isScratchName(name) || (WALFileName(name) != nil && !name.utf8.contains(UInt8(ascii: "/")))
    }

    public static func isScratchName(_ name: String) -> Bool {
        scratchNames.contains { $0.utf8.elementsEqual(name.utf8) }
    }
}

extension DestinationPath.Rules {
    /// The absolute spellings, for error messages (they are the operator's own paths).
    var absoluteHint: String {
        let absolute = directories.filter { $0.hasPrefix("/") }.prefix(2).map { $0 + "/<name>" }
        return absolute.isEmpty ? "relative to PGDATA" : "or " + absolute.joined(separator: " or ")
    }
}
