import ArgumentParser
import CloudWAL
import Logging

/// `cloud-wal wal-restore`, also `cloud-wal-restore` and `barman-cloud-wal-restore`.
struct WALRestoreCommand: CloudCommand {
    static let exitKind = ExitStatus.Command.restore
    static let configuration = CommandConfiguration(
        commandName: "wal-restore",
        abstract: "Restore a PostgreSQL WAL file from the archive (restore_command).",
        discussion: """
            Exit status: 0 restored, 1 not in the archive, 2 cannot connect to the storage, 3 bad input, \
            4 any other failure. During point-in-time recovery (recovery.signal without standby.signal \
            in the current directory) every failure other than "not found" exits 255, so PostgreSQL \
            stops instead of ending recovery early.
            """)

    @OptionGroup var common: CommonOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: true) }

    @Argument(help: "URL of the archive.")
    var sourceURL: String

    @Argument(help: "The name of the PostgreSQL server, used as a folder in the archive.")
    var serverName: String

    @Argument(help: "The WAL file name to restore (%f).")
    var walName: String?

    @Argument(help: "Where to write it (%p).")
    var walDest: String?

    @Flag(name: .customLong("no-partial"), help: "Do not restore a .partial segment in place of a missing one.")
    var noPartial = false

    @Option(
        name: [.customShort("p"), .customLong("parallel")],
        help: "Fetch up to N segments per call; the ones after the requested one wait in the spool.")
    var parallel: Int = 0

    @Option(name: .customLong("spool-dir"), help: "Where prefetched segments wait (default /var/tmp/walrestore).")
    var spoolDir: String = "/var/tmp/walrestore"

    /// ArgumentParser's entry point; `main.swift` calls `execute()` directly (see there).
    func run() async throws {
        try await execute()
    }

    func execute() async throws {
        let logger = common.makeLogger()
        guard parallel >= 0 else { throw WALError(.invalidInput, "--parallel must not be negative") }
        if let walName, !WALFileName.isValid(walName) {
            throw WALError(.invalidInput, "\(walName) is an invalid name for a WAL file")
        }
        let archive = try common.openArchive(
            url: sourceURL, serverName: serverName, cloud: common.cloudOptions(logger: logger))
        if try await common.runConnectivityTestIfRequested(archive, logger: logger) { return }
        guard let walName, let walDest else {
            throw WALError(.invalidInput, "the following arguments are required: WAL_NAME, WAL_DEST")
        }
        // The spool is consulted only when prefetching is on, so a plain call never reads a file
        // that some earlier, differently configured run left behind.
        let spool = parallel > 1
            ? WALSpool(baseDirectory: spoolDir, archiveIdentity: "\(sourceURL) \(serverName)", parallel: parallel)
            : nil
        let restorer = WALRestorer(store: archive.store, layout: archive.layout, spool: spool, logger: logger)
        do {
            _ = try await restorer.restore(walName: walName, to: walDest, allowPartial: !noPartial)
        } catch let error as WALError where error.kind == .notFound {
            // PostgreSQL probes for files that do not exist yet (the next segment, a newer
            // timeline's history) as routine; that is worth a line only when asked for.
            logger.info("\(error.message)")
            throw ExitCode(ExitStatusPolicy.failure)
        }
    }
}
