import CloudWAL
import Foundation

/// A file:// archive with synthesized base backups and WAL, for the catalog and retention tests.
struct CatalogFixture {
    let dir: TemporaryDirectory
    let store: FileSystemStore
    let layout: ArchiveLayout

    init(prefix: String = "") throws {
        dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path + "/archive", withIntermediateDirectories: true)
        store = FileSystemStore(root: dir.path + "/archive")
        layout = try ArchiveLayout(prefix: prefix, serverName: "pg1")
    }

    func remove() { dir.remove() }

    var catalog: BackupCatalog { BackupCatalog(store: store, layout: layout, logger: TestData.quietLogger) }

    func deletion(dryRun: Bool = false, output: @escaping @Sendable (String) -> Void = { _ in }) -> CatalogDeletion {
        CatalogDeletion(catalog: catalog, dryRun: dryRun, concurrency: 4, output: output)
    }

    /// A backup.info like barman-cloud writes, with the given WAL range and times.
    static func info(
        _ id: String, begin: String?, end: String?, endTime: Timestamp?, status: BackupInfo.Status = .done,
        name: String? = nil
    ) -> BackupInfo {
        var info = BackupInfo(backupID: id)
        info.status = status
        info.backupName = name
        info.beginWAL = begin
        info.endWAL = end
        info.timeline = begin.flatMap { Int($0.prefix(8), radix: 16) }
        info.beginTime = endTime?.adding(seconds: -60)
        info.endTime = endTime
        info.serverName = "cloud"
        info.version = 150018
        info.pgdata = "/var/lib/postgresql/15/main"
        info.systemID = "7321234567890123456"
        info.mode = "concurrent"
        return info
    }

    /// Stores a backup: its tar objects, then backup.info (as a backup run does).
    @discardableResult
    func addBackup(
        _ id: String, begin: String?, end: String?, endTime: Timestamp?, status: BackupInfo.Status = .done,
        name: String? = nil, tars: [String] = ["data.tar.gz", "16385.tar.gz"]
    ) async throws -> BackupInfo {
        let info = Self.info(id, begin: begin, end: end, endTime: endTime, status: status, name: name)
        for tar in tars {
            _ = try await store.put(layout.backupPrefix(id) + tar, body: Array("tar \(tar)".utf8), options: PutOptions())
        }
        _ = try await store.put(layout.backupInfoKey(id), body: info.bytes, options: PutOptions())
        return info
    }

    /// Stores WAL objects at barman-cloud's keys; returns the keys.
    @discardableResult
    func addWAL(_ names: [String], compression: Compression? = nil) async throws -> [String] {
        var keys: [String] = []
        for name in names {
            let wal = try require(WALFileName(name))
            let key = layout.key(for: wal, compression: compression)
            _ = try await store.put(key, body: Array(name.utf8), options: PutOptions())
            keys.append(key)
        }
        return keys
    }

    /// Segments `first...last` (segment numbers) of one timeline and log.
    static func segments(timeline: UInt32, log: UInt32, _ range: ClosedRange<UInt32>) -> [String] {
        range.map { hex(timeline) + hex(log) + hex($0) }
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Every object key in the archive.
    func keys() async throws -> Set<String> {
        Set(try await store.list(prefix: "", delimiter: nil).objects.map(\.key))
    }

    /// The WAL names left in the archive.
    func walNames() async throws -> Set<String> {
        try await WALInventory.load(store: store, layout: layout).names
    }

    func walKey(_ name: String) -> String {
        // Test names are valid by construction.
        layout.key(for: WALFileName(name)!, compression: nil)
    }
}

private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw CatalogFixtureError() }
    return value
}

private struct CatalogFixtureError: Error {}

extension Timestamp {
    /// Now, shifted by whole days (negative: in the past).
    static func daysFromNow(_ days: Double) -> Timestamp {
        Timestamp.now().adding(seconds: Int64(days * 86_400))
    }
}
