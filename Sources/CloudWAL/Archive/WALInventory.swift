/// What the `wals/` folder of a server holds, as barman-cloud's catalog sees it
/// (`CloudBackupCatalog.get_wal_paths` and `get_wal_prefixes`).
public struct WALInventory: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The WAL file name without compression extension.
        public let name: String
        /// The object key.
        public let key: String
    }

    /// The hash-directory prefixes directly under `wals/` (`.../wals/0000000100000000/`).
    public var prefixes: [String]
    /// Every object that is a WAL file name, possibly with one compression extension, sorted by key.
    public var entries: [Entry]

    public init(prefixes: [String], entries: [Entry]) {
        self.prefixes = prefixes.sorted()
        self.entries = entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    /// Lists the archive: one delimited listing for the prefixes, one recursive for the objects.
    /// Objects that are no WAL name (after at most one compression extension) are ignored.
    public static func load(store: any ObjectStore, layout: ArchiveLayout, withPrefixes: Bool = true) async throws
        -> WALInventory
    {
        let prefixes = withPrefixes
            ? try await store.list(prefix: layout.walsPrefix, delimiter: "/").commonPrefixes : []
        let objects = try await store.list(prefix: layout.walsPrefix, delimiter: nil).objects
        let entries = objects.compactMap { object -> Entry? in
            guard let parsed = ArchiveLayout.parseObjectName(object.key) else { return nil }
            return Entry(name: parsed.wal.name, key: object.key)
        }
        return WALInventory(prefixes: prefixes, entries: entries)
    }

    /// The distinct WAL names (a segment stored twice, under two compressions, counts once).
    public var names: Set<String> { Set(entries.map(\.name)) }

    /// The inventory without the given keys and without anything under the given prefixes.
    public func removing(keys: Set<String>, prefixes removed: [String]) -> WALInventory {
        WALInventory(
            prefixes: prefixes.filter { !removed.contains($0) },
            entries: entries.filter { entry in
                !keys.contains(entry.key) && !removed.contains(where: { entry.key.hasPrefix($0) })
            })
    }
}
