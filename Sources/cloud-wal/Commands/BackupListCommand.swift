import ArgumentParser
import CloudWAL

/// `cloud-wal backup-list`, also `cloud-backup-list` and `barman-cloud-backup-list`.
struct BackupListCommand: CloudCommand {
    static let exitKind = ExitStatus.Command.catalog
    static let configuration = CommandConfiguration(
        commandName: "backup-list",
        abstract: "List the base backups of a server.",
        discussion: """
            Console output shows every backup with its end time, first WAL, keep target (or its \
            status when not DONE) and name; --format json prints barman-cloud's document. Exit \
            status: 0 listed, 2 cannot connect to the storage, 3 bad input, 4 any other failure.
            """)

    @OptionGroup var common: CommonOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: false) }

    @Argument(help: "URL of the archive.")
    var sourceURL: String

    @Argument(help: "The name of the PostgreSQL server, used as a folder in the archive.")
    var serverName: String

    @Option(name: .customLong("format"), help: "Output format: console (default) or json.")
    var format: CatalogOutputFormat = .console

    /// ArgumentParser's entry point; `main.swift` calls `execute()` directly.
    func run() async throws {
        try await execute()
    }

    func execute() async throws {
        let (archive, catalog) = try common.openCatalog(url: sourceURL, serverName: serverName)
        if try await common.runConnectivityTestIfRequested(archive, logger: common.makeLogger()) { return }
        // Keep annotations only show on the console; JSON carries backup.info alone, as in barman.
        let snapshot = try await CatalogSnapshot.load(catalog, withKeepTargets: format == .console)
        switch format {
        case .console: StandardOutput.write(CatalogConsole.listLines(snapshot))
        case .json: StandardOutput.write([CatalogJSON.list(snapshot)])
        }
    }
}
