import CloudWAL
import Foundation

/// A file:// archive in a fresh temporary directory: where the library-level archive, restore
/// and backup suites start. Each suite's own fixture holds one (`base`) and adds its helpers.
struct FileArchive {
    let dir: TemporaryDirectory
    let store: FileSystemStore
    let layout: ArchiveLayout

    /// The store's root is `storeFolder` inside the directory, so the tests keep the rest of it
    /// (pg_wal, tars, a data directory) apart from what the store holds.
    init(storeFolder: String = "archive", prefix: String = "", serverName: String = "pg1") throws {
        dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path + "/" + storeFolder, withIntermediateDirectories: true)
        store = FileSystemStore(root: dir.path + "/" + storeFolder)
        layout = try ArchiveLayout(prefix: prefix, serverName: serverName)
    }
}

/// A suite fixture over a `FileArchive`: its directory, store and layout, as if its own.
protocol FileArchiveFixture {
    var base: FileArchive { get }
}

extension FileArchiveFixture {
    var dir: TemporaryDirectory { base.dir }
    var store: FileSystemStore { base.store }
    var layout: ArchiveLayout { base.layout }
}
