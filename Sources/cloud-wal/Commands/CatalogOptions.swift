import ArgumentParser
import CloudWAL

/// `--format` of `backup-list` and `backup-show`.
enum CatalogOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case console
    case json
}

extension CommonOptions {
    /// The catalog of the archive a catalog command names.
    func openCatalog(url: String, serverName: String) throws -> (archive: OpenedArchive, catalog: BackupCatalog) {
        let logger = makeLogger()
        let archive = try openArchive(url: url, serverName: serverName, cloud: cloudOptions(logger: logger))
        return (archive, BackupCatalog(store: archive.store, layout: archive.layout, logger: logger))
    }
}

/// Writes lines to standard output.
enum StandardOutput {
    static func write(_ lines: [String]) {
        for line in lines { print(line) }
    }
}
