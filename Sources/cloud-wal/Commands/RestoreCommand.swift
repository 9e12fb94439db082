import ArgumentParser
import CloudWAL
import Logging

#if canImport(Glibc)
import Glibc
#endif

extension RecoveryTargetAction: ExpressibleByArgument {}

/// `cloud-wal restore`, also `cloud-restore` and `barman-cloud-restore`: unpacks a base backup
/// and, beyond barman-cloud, can configure the result to recover to a target by itself.
struct RestoreCommand: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a base backup from the archive into a new data directory.",
        discussion: """
            BACKUP_ID is a backup id, latest/last, oldest/first, a backup name, or auto (the newest \
            DONE backup that ended before the target, or the newest without a target). \
            With a --recovery-target-* option or --recovery-conf, recovery.signal and a restore_command \
            calling this binary's wal-restore (with the same URL, server and cloud options) are \
            written, so PostgreSQL recovers with no hand edits; credentials must reach PostgreSQL's \
            environment as they reach this command. --recovery-target-action defaults to pause, as in \
            PostgreSQL: check the data, then pg_wal_replay_resume() or restart with promote. \
            Exit status: 0 restored, 1 failure (destination not empty, unknown backup, corrupt data), \
            2 cannot connect, 3 bad input.
            """)

    @OptionGroup var common: CommonOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: false) }

    @OptionGroup var source: SourceArchive

    @Argument(help: "The backup to restore: an id, latest, oldest, a name, or auto.")
    var backupID: String

    @Argument(help: "The directory to restore into (must be empty or absent).")
    var recoveryDir: String

    @Option(name: .customLong("tablespace"), help: ArgumentHelp("Restore a tablespace elsewhere.", valueName: "NAME:LOCATION"))
    var tablespace: [String] = []

    @Option(name: .customLong("target-tli"), help: "Target timeline: a number, current or latest.")
    var targetTLI: String?

    @Option(name: .customLong("target-lsn"), help: "Choose the backup (auto) for this LSN; writes no recovery settings.")
    var targetLSN: String?

    @Option(name: .customLong("target-time"), help: "Choose the backup (auto) for this time; writes no recovery settings.")
    var targetTime: String?

    @Option(name: .customLong("recovery-target-time"), help: "Recover up to this time (written as recovery_target_time).")
    var recoveryTargetTime: String?

    @Option(name: .customLong("recovery-target-lsn"), help: "Recover up to this LSN (recovery_target_lsn).")
    var recoveryTargetLSN: String?

    @Option(name: .customLong("recovery-target-name"), help: "Recover up to this restore point (recovery_target_name).")
    var recoveryTargetName: String?

    @Option(name: .customLong("recovery-target-action"), help: "pause (default), promote or shutdown when the target is reached.")
    var recoveryTargetAction: RecoveryTargetAction?

    // Not EncryptionOptions: this keyring is also read by PostgreSQL's user during recovery, and
    // this command may run as another user, so it is passed on, and a failure to load it here
    // matters only for an encrypted backup.
    @Option(
        name: .spelled(.encryptionKeyring),
        help: ArgumentHelp(
            "Decrypt an encrypted backup with this keyring, and pass it to wal-restore in the written restore_command, for WAL archived with --encryption-keyring.",
            valueName: "path"))
    var encryptionKeyring: String?

    @Flag(
        name: [.customLong("recovery-conf"), .customLong("write-recovery-conf")],
        help: "Write recovery.signal and restore_command even without a target (recover to the end of the archive).")
    var recoveryConf = false

    func execute() async throws {
        let logger = common.makeLogger()
        let cloud = common.cloudOptions(logger: logger)
        let request = try RestoreRequest(arguments(cloud: cloud))
        let archive = try common.openArchive(url: source.sourceURL, serverName: source.serverName, cloud: cloud)
        if try await common.runConnectivityTestIfRequested(archive, logger: logger) { return }
        let restorer = BackupRestorer(
            store: archive.store, layout: archive.layout, logger: logger,
            keys: encryptionKeyring.map { DeferredKeyring(path: $0) })
        let progress: (any RestoreProgress)? = isatty(2) != 0 && common.quiet == 0 ? TerminalProgressLine() : nil
        let outcome = try await restorer.restore(request, progress: progress)
        let verified = outcome.verifiedByManifest ? ", verified against its manifest" : ""
        logger.info("Restored backup \(outcome.backupID): \(outcome.filesWritten) files, \(outcome.tarBytes) bytes\(verified)")
    }

    /// The command line as the library takes it; the library checks it and builds the request.
    func arguments(cloud: CloudOptions) -> RestoreArguments {
        var arguments = RestoreArguments(
            sourceURL: source.sourceURL, serverName: source.serverName, backupID: backupID, recoveryDirectory: recoveryDir, cloud: cloud)
        arguments.tablespaceRules = tablespace
        arguments.targetTimeline = targetTLI
        arguments.targetTime = targetTime
        arguments.targetLSN = targetLSN
        arguments.recoveryTargetTime = recoveryTargetTime
        arguments.recoveryTargetLSN = recoveryTargetLSN
        arguments.recoveryTargetName = recoveryTargetName
        arguments.recoveryTargetAction = recoveryTargetAction
        arguments.writeRecoveryConfig = recoveryConf
        arguments.encryptionKeyring = encryptionKeyring.map(WALRestoreCommand.absolute)
        return arguments
    }
}
