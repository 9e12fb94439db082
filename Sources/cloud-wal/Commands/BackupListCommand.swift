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

    @OptionGroup var source: SourceArchive

    @Option(name: .customLong("format"), help: "Output format: console (default) or json.")
    var format: CatalogOutputFormat = .console

    func execute() async throws {
        guard let opened = try await common.openCatalogUnlessTesting(source) else { return }
        let catalog = opened.catalog
        // Keep annotations only show on the console; JSON carries backup.info alone, as in barman.
        let snapshot = try await CatalogSnapshot.load(catalog, withKeepTargets: format == .console)
        switch format {
        case .console: StandardOutput.write(CatalogConsole.listLines(snapshot))
        case .json: StandardOutput.write([CatalogJSON.list(snapshot)])
        }
    }
}
