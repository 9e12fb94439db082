import ArgumentParser
import CloudWAL

extension KeepTarget: ExpressibleByArgument {}

/// `cloud-wal backup-keep`, also `cloud-backup-keep` and `barman-cloud-backup-keep`.
struct BackupKeepCommand: CloudCommand {
    static let exitKind = ExitStatus.Command.catalog
    static let configuration = CommandConfiguration(
        commandName: "backup-keep",
        abstract: "Keep a base backup beyond its retention policy, release it, or show its keep status.",
        discussion: """
            --target full keeps the backup and every WAL after it; --target standalone keeps the \
            backup with only the WAL needed to make it consistent. Only DONE backups can be kept. \
            Exit status: 0 done, 1 no such backup or not DONE, 2 cannot connect to the storage, \
            3 bad input, 4 any other failure.
            """)

    @OptionGroup var common: CommonOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: false) }

    @OptionGroup var source: SourceArchive

    @Argument(help: "The backup: an id, latest, oldest, last-failed or a backup name.")
    var backupID: String

    @Flag(name: [.customShort("r"), .customLong("release")], help: "Remove the keep: retention may delete the backup again.")
    var release = false

    @Flag(name: [.customShort("s"), .customLong("status")], help: "Print the keep status: full, standalone or nokeep.")
    var status = false

    @Option(name: .customLong("target"), help: "Keep the backup for recovery: full or standalone.")
    var target: KeepTarget?

    func validate() throws {
        let chosen = [release, status, target != nil].filter { $0 }.count
        guard chosen == 1 else {
            throw ValidationError("exactly one of the arguments -r/--release -s/--status --target is required")
        }
    }

    func execute() async throws {
        guard let opened = try await common.openCatalogUnlessTesting(source) else { return }
        let catalog = opened.catalog
        let archive = opened.archive
        let keeps = KeepAnnotations(store: archive.store, layout: archive.layout)
        let id = try await catalog.resolveCatalogID(backupID)
        if release {
            try await keeps.release(id)
        } else if status {
            print("Keep: \(try await keeps.target(of: id)?.rawValue ?? "nokeep")")
        } else if let target {
            guard let info = try await catalog.info(id) else {
                throw BackupError(.notFound, "Backup \(id) for server \(source.serverName) does not exist")
            }
            guard info.status == .done else {
                throw BackupError(
                    .refused,
                    "Cannot add keep to backup \(id) because it has status \(info.raw("status") ?? "EMPTY"). "
                        + "Only backups with status DONE can be kept.")
            }
            try await keeps.keep(id, target: target)
        }
    }
}
