import ArgumentParser
import CloudWAL

/// `--format` of `backup-list` and `backup-show`.
enum CatalogOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case console
    case json
}

extension CommonOptions {
    /// The catalog of the archive a catalog command names; nil when `-t/--test` was given, which
    /// this has then run.
    func openCatalogUnlessTesting(_ source: SourceArchive) async throws -> (archive: OpenedArchive, catalog: BackupCatalog)? {
        let logger = makeLogger()
        let archive = try openArchive(url: source.sourceURL, serverName: source.serverName, cloud: cloudOptions(logger: logger))
        if try await runConnectivityTestIfRequested(archive, logger: logger) { return nil }
        return (archive, BackupCatalog(store: archive.store, layout: archive.layout, logger: logger))
    }
}

/// Writes lines to standard output.
enum StandardOutput {
    static func write(_ lines: [String]) {
        for line in lines { print(line) }
    }
}
