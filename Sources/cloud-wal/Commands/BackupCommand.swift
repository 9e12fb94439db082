import ArgumentParser
import CloudWAL
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `cloud-wal backup`, also `cloud-backup` and `barman-cloud-backup`.
struct BackupCommand: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Take a base backup of a PostgreSQL server into the archive.",
        discussion: """
            Runs on the database host: it reads PGDATA directly while PostgreSQL's backup API \
            (pg_backup_start/pg_backup_stop) keeps the copy consistent. WAL is archived separately, \
            by wal-archive in archive_command. With --encryption-keyring every tar and the manifest \
            are encrypted (backup.info stays plain, for the catalog commands). Exit status: 0 done, \
            1 the backup failed, 2 cannot connect to the storage, 3 bad input.
            """,
        // -h is barman-cloud's --host, so help is --help only.
        helpNames: [.long])

    @OptionGroup var common: CommonOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: false) }

    @OptionGroup var destination: DestinationArchive

    @OptionGroup var compression: CompressionOptions
    @OptionGroup var tagging: TagOptions
    @OptionGroup var writing: StorageWriteOptions
    @OptionGroup var encryption: EncryptionOptions

    @Option(name: [.customShort("h"), .customLong("host")], help: "PostgreSQL host or socket directory (default: PGHOST, then /var/run/postgresql).")
    var host: String?

    @Option(name: [.customShort("p"), .customLong("port")], help: "PostgreSQL port (default: PGPORT, then 5432).")
    var port: String?

    @Option(name: [.customShort("U"), .customLong("user")], help: "PostgreSQL user (default: PGUSER, then the login user).")
    var user: String?

    @Option(name: [.customShort("d"), .customLong("dbname")], help: "Database to connect to (default: PGDATABASE, then postgres).")
    var dbname: String?

    @Option(name: [.customShort("n"), .customLong("name")], help: "A name for the backup, usable wherever a backup id is.")
    var name: String?

    @Option(name: .spelled(.jobs), help: "Parts uploading at once (default 2).")
    var jobs: Int = 2

    @Option(name: .spelled(.maxArchiveSize), help: "Split tars above this size (default 100GB).")
    var maxArchiveSize: String = "100GB"

    @Option(name: .spelled(.minChunkSize), help: "Smallest upload part (default 5MB).")
    var minChunkSize: String?

    @Option(name: .customLong("max-bandwidth"), help: "Accepted for barman-cloud compatibility; not enforced.")
    var maxBandwidth: String?

    @Flag(name: .customLong("immediate-checkpoint"), help: "Ask PostgreSQL for an immediate checkpoint instead of a spread one.")
    var immediateCheckpoint = false

    func plan(logger: Logger) throws -> (archive: OpenedArchive, backup: BaseBackup.Configuration, postgres: PostgresConnectionSettings) {
        var configuration = BaseBackup.Configuration(
            compression: try compression.compression(), compressionLevel: try compression.level())
        configuration.jobs = jobs
        configuration.maxArchiveSize = try SizeParser.parse(maxArchiveSize)
        if let minChunkSize { configuration.minChunkSize = try SizeParser.parse(minChunkSize) }
        configuration.immediateCheckpoint = immediateCheckpoint
        configuration.name = name
        configuration.tags = try tagging.parsed()
        configuration.encryption = try encryption.keyring()
        try configuration.validate()
        if maxBandwidth != nil { logger.warning("--max-bandwidth is not enforced by cloud-wal") }
        var cloud = common.cloudOptions(logger: logger)
        try writing.apply(to: &cloud)
        let archive = try common.openArchive(url: destination.destinationURL, serverName: destination.serverName, cloud: cloud)
        let postgres = try PostgresConnectionSettings.resolve(
            host: host, port: port, user: user, database: dbname, environment: .current())
        return (archive, configuration, postgres)
    }

    func execute() async throws {
        let logger = common.makeLogger()
        let plan = try plan(logger: logger)
        if try await common.runConnectivityTestIfRequested(plan.archive, logger: logger) { return }
        let backup = BaseBackup(
            store: plan.archive.store, layout: plan.archive.layout, configuration: plan.backup, logger: logger)
        let info = try await backup.run(connectingTo: plan.postgres, progress: isatty(2) == 1 && common.quiet == 0)
        print(info.backupID)
    }
}
