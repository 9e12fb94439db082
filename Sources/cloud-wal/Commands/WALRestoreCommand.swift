import ArgumentParser
import CloudWAL
import Logging

#if canImport(Glibc)
import Glibc
#endif

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

    @OptionGroup var encryption: EncryptionOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: true) }

    @OptionGroup var source: SourceArchive

    @Argument(help: "The WAL file name to restore (%f).")
    var walName: String?

    @Argument(help: "Where to write it (%p).")
    var walDest: String?

    @Flag(name: .customLong("no-partial"), help: "Do not restore a .partial segment in place of a missing one.")
    var noPartial = false

    @Option(
        name: [.customShort("p"), .customLong("parallel")],
        help: "Keep up to N-1 segments after the requested one ready in the spool, fetched by a background prefetcher.")
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
            url: source.sourceURL, serverName: source.serverName, cloud: common.cloudOptions(logger: logger))
        let keyring = try encryption.keyring()
        if try await common.runConnectivityTestIfRequested(archive, logger: logger) { return }
        guard let walName, let walDest else {
            throw WALError(.invalidInput, "the following arguments are required: WAL_NAME, WAL_DEST")
        }
        // The spool is consulted only when prefetching is on, so a plain call never reads a file
        // that some earlier, differently configured run left behind.
        let spoolBase = Self.absolute(spoolDir)
        var spool = parallel > 1
            ? WALSpool(baseDirectory: spoolBase, archiveIdentity: source.spoolIdentity, parallel: parallel)
            : nil
        if spool != nil, Self.isInsideDataDirectory(spoolBase) {
            // pg_rewind and base backups copy and prune the data directory: a spool there would
            // be copied, or pruned under the prefetcher's feet.
            logger.warning("Not prefetching: the spool directory \(spoolBase) is inside the data directory")
            spool = nil
        }
        let restorer = WALRestorer(
            store: archive.store, layout: archive.layout, spool: spool,
            prefetchStallLimit: .seconds(max(1, common.readTimeout)), keys: keyring, logger: logger)
        do {
            _ = try await restorer.restore(walName: walName, to: walDest, allowPartial: !noPartial)
        } catch let error as WALError where error.kind == .notFound {
            // PostgreSQL probes for files that do not exist yet (the next segment, a newer
            // timeline's history) as routine; that is worth a line only when asked for.
            logger.info("\(error.message)")
            throw ExitCode(ExitStatusPolicy.failure)
        }
        // After the hand-over, never before: the call's own segment is durable at %p first.
        if let spool, restorer.prefetcherWanted(after: walName) {
            if let arguments = PrefetcherLaunch.arguments(
                common: common, parallel: parallel, spoolDirectory: spoolBase, sourceURL: source.sourceURL,
                serverName: source.serverName, keyringPath: encryption.encryptionKeyring.map(Self.absolute))
            {
                PrefetcherLaunch.start(arguments, logger: logger)
            } else {
                logger.warning("Not prefetching into \(spool.directory): the URL carries parts that must not go on a command line")
            }
        }
    }

    /// The spool path as the prefetcher (started from the same directory) must see it.
    static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let directory = String(cString: buffer)
        return (directory == "/" ? "" : directory) + "/" + path
    }

    /// Whether `path` lies in the data directory this call runs in (PostgreSQL runs
    /// restore_command there); judged by the spelling, after making it absolute.
    static func isInsideDataDirectory(_ path: String) -> Bool {
        guard FileSystemOps.exists("global/pg_control"), FileSystemOps.exists("PG_VERSION") else { return false }
        let data = absolute(".").dropLast(2)
        return path == data || path.hasPrefix(data + "/")
    }
}
