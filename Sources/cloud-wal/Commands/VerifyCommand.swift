import ArgumentParser
import CloudWAL

/// `cloud-wal verify`, also `cloud-verify`: checks backups and their WAL without restoring.
struct VerifyCommand: CloudCommand {
    static let exitKind = ExitStatus.Command.verify
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that backups and the WAL after them are complete and intact, without restoring.",
        discussion: """
            BACKUP_ID is an id, latest/last, oldest/first, last-failed or a backup name; without \
            it (and without --all) the latest DONE backup is checked. Every tar is streamed, \
            decrypted (encrypted backups need --encryption-keyring), decompressed and compared with the backup's manifest (barman-cloud's backups have none: \
            each tar is read to its end), and every WAL segment from the backup's begin WAL to the \
            newest one, on every timeline recovery can follow, is read and checked: gaps, segments \
            stored twice, .history files, recorded SHA-256, size, page header, system identifier. \
            Nothing is written. Exit status: 0 all good (warnings allowed), 1 problems found (each \
            listed), 2 cannot connect to the storage or access denied, 3 bad input (bad URL or \
            option, unknown backup).
            """)

    @OptionGroup var common: CommonOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: false) }

    @OptionGroup var source: SourceArchive

    @OptionGroup var encryption: EncryptionOptions

    @Argument(help: "The backup: an id, latest, oldest, last-failed or a name (default: latest).")
    var backupID: String?

    @Flag(name: .customLong("all"), help: "Check every DONE backup.")
    var all = false

    @Option(name: .spelled(.verifyJobs), help: "Objects read at once (default 4, at most 64).")
    var jobs: Int = VerifyRequest.defaultJobs

    @Option(name: .customLong("format"), help: "Output format: console (default) or json.")
    var format: CatalogOutputFormat = .console

    func execute() async throws {
        let request = try VerifyRequest(backupID: backupID, all: all, jobs: jobs)
        let keys = try encryption.keyring()
        let logger = common.makeLogger()
        let archive = try common.openArchive(url: source.sourceURL, serverName: source.serverName, cloud: common.cloudOptions(logger: logger))
        if try await common.runConnectivityTestIfRequested(archive, logger: logger) { return }
        let report = try await Verifier(store: archive.store, layout: archive.layout, logger: logger, keys: keys).verify(request)
        switch format {
        case .console: StandardOutput.write(VerifyOutput.consoleLines(report))
        case .json: StandardOutput.write([VerifyOutput.json(report).rendered])
        }
        if report.exitStatus != ExitStatusPolicy.success { throw ExitCode(report.exitStatus) }
    }
}
