import ArgumentParser
import CloudWAL

/// `cloud-wal backup-delete`, also `cloud-backup-delete` and `barman-cloud-backup-delete`.
struct BackupDeleteCommand: CloudCommand {
    static let exitKind = ExitStatus.Command.catalog
    static let configuration = CommandConfiguration(
        commandName: "backup-delete",
        abstract: "Delete base backups by id or by retention policy, and the WAL no remaining backup needs.",
        discussion: """
            Policies: "REDUNDANCY n" or "RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS". Kept backups \
            (backup-keep) are never deleted, and --minimum-redundancy backups always remain. A \
            backup's tar files go first and its backup.info last, so an interrupted delete can be \
            run again. .history files are never deleted. Exit status: 0 done, 1 refused (kept \
            backup, minimum redundancy, unreadable catalog), 2 cannot connect to the storage, \
            3 bad input (including an invalid policy), 4 any other failure.
            """)

    @OptionGroup var common: CommonOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: false) }

    @OptionGroup var source: SourceArchive

    @Option(name: [.customShort("b"), .customLong("backup-id")], help: "The backup to delete: an id, latest, oldest, last-failed or a name.")
    var backupID: String?

    @Option(name: [.customShort("r"), .customLong("retention-policy")], help: "Delete every backup this policy makes obsolete.")
    var retentionPolicy: String?

    @Option(name: [.customShort("m"), .customLong("minimum-redundancy")], help: "The number of backups that always remain (default 0).")
    var minimumRedundancy: Int = 0

    @Flag(name: .customLong("dry-run"), help: "Print what would be deleted; delete nothing.")
    var dryRun = false

    @Option(name: .customLong("batch-size"), help: "The most deletes in flight at once (default 8, at most 32).")
    var batchSize: Int?

    @Flag(name: .customLong("check-object-lock"), help: "Accepted for compatibility; S3 refuses to delete locked objects anyway.")
    var checkObjectLock = false

    func validate() throws {
        guard (backupID == nil) != (retentionPolicy == nil) else {
            throw ValidationError("exactly one of the arguments -b/--backup-id -r/--retention-policy is required")
        }
        guard minimumRedundancy >= 0 else {
            throw ValidationError("'\(minimumRedundancy)' is not a valid non negative integer")
        }
        if let batchSize, batchSize < 1 {
            throw ValidationError("'\(batchSize)' is not a valid positive integer")
        }
    }

    func execute() async throws {
        // An invalid policy is an input error, reported before anything is read.
        let policy = try retentionPolicy.map(RetentionPolicy.init(parsing:))
        guard let opened = try await common.openCatalogUnlessTesting(source) else { return }
        let catalog = opened.catalog
        if checkObjectLock {
            common.makeLogger().warning("--check-object-lock: locked objects are not looked for; the storage refuses to delete them")
        }
        let deletion = CatalogDeletion(
            catalog: catalog, dryRun: dryRun, concurrency: min(batchSize ?? 8, 32),
            output: { line in print(line) })
        if let backupID {
            try await deletion.deleteBackup(backupID, minimumRedundancy: minimumRedundancy)
        } else if let policy {
            try await deletion.applyRetention(policy, minimumRedundancy: minimumRedundancy, now: .now())
        }
    }
}
