import ArgumentParser
import CloudWAL

/// `cloud-wal backup-show`, also `cloud-backup-show` and `barman-cloud-backup-show`.
struct BackupShowCommand: CloudCommand {
    static let exitKind = ExitStatus.Command.catalog
    static let configuration = CommandConfiguration(
        commandName: "backup-show",
        abstract: "Show the details of one base backup.",
        discussion: """
            BACKUP_ID is an id, latest/last, oldest/first, last-failed, or a backup name. Exit \
            status: 0 shown, 1 no such backup, 2 cannot connect to the storage, 3 bad input, 4 any \
            other failure.
            """)

    @OptionGroup var common: CommonOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: false) }

    @OptionGroup var source: SourceArchive

    @Argument(help: "The backup: an id, latest, oldest, last-failed or a backup name.")
    var backupID: String

    @Option(name: .customLong("format"), help: "Output format: console (default) or json.")
    var format: CatalogOutputFormat = .console

    func execute() async throws {
        guard let opened = try await common.openCatalogUnlessTesting(source) else { return }
        let catalog = opened.catalog
        let id = try await catalog.resolveCatalogID(backupID)
        guard let info = try await catalog.info(id) else {
            throw BackupError(.notFound, "Backup \(id) for server \(source.serverName) does not exist")
        }
        switch format {
        case .console: StandardOutput.write(CatalogConsole.showLines(info))
        case .json: StandardOutput.write([CatalogJSON.show(info)])
        }
    }
}
