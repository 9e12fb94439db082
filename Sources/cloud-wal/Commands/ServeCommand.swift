import ArgumentParser
import CloudWAL
import CloudWALServer
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `cloud-wal serve`, also `cloud-serve`: the HTTP sidecar replacing the WAL-E docker sidecar.
struct ServeCommand: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve wal-push, wal-fetch and status over HTTP (the sidecar).",
        discussion: """
            Takes every wal-archive option; each can also be set as CLOUD_WAL_<OPTION> (e.g. \
            CLOUD_WAL_ZSTD=true, CLOUD_WAL_ENDPOINT_URL=http://...; several tags separated by ';'). \
            Environment: WALE_LISTEN_PORT (80), CLOUD_WAL_LISTEN_ADDRESS (0.0.0.0), \
            CLOUD_WAL_LISTEN_SOCKET, PGDATA (/var/lib/postgresql/data), PGWAL ($PGDATA/pg_wal), \
            CLOUD_WAL_DESTINATION, CLOUD_WAL_SERVER_NAME, WALE_S3_PREFIX / WALE_GS_PREFIX / \
            WALE_FILE_PREFIX, CLOUD_WAL_TOKEN or CLOUD_WAL_TOKEN_FILE, CLOUD_WAL_ALLOW_UNAUTHENTICATED, \
            CLOUD_WAL_REQUEST_TIMEOUT (600 s), CLOUD_WAL_IDLE_TIMEOUT (60 s), CLOUD_WAL_HEADER_TIMEOUT \
            (10 s), CLOUD_WAL_MAX_CONNECTIONS (64), CLOUD_WAL_SPOOL_DIR, CLOUD_WAL_FETCH_AHEAD (8 segments \
            kept ready after each /wal-fetch; 0: off), CLOUD_WAL_ARCHIVE_AHEAD (4 segments marked ready \
            pushed ahead at a time; 0: off), CLOUD_WAL_STATE_DIR ($CLOUD_WAL_SPOOL_DIR/cloud-wal-archive-ahead). \
            The command line overrides the environment. Every route but /ping needs the token over TCP; the UNIX socket (mode 0600) \
            needs none. Without a token and without a socket, serve refuses to start unless \
            CLOUD_WAL_ALLOW_UNAUTHENTICATED=true.
            """)

    @OptionGroup var options: ArchiveOptions

    @Argument(help: "URL of the archive (default: $CLOUD_WAL_DESTINATION).")
    var destinationURL: String?

    @Argument(help: "The name of the PostgreSQL server (default: $CLOUD_WAL_SERVER_NAME).")
    var serverName: String?

    @Option(name: .customLong("listen-address"), help: "Address to listen on (default: $CLOUD_WAL_LISTEN_ADDRESS or 0.0.0.0).")
    var listenAddress: String?

    @Option(name: .customLong("listen-port"), help: "Port to listen on (default: $WALE_LISTEN_PORT or 80).")
    var listenPort: Int?

    @Option(
        name: .customLong("listen-socket"),
        help: "Also listen on this UNIX socket, mode 0600, no token needed (default: $CLOUD_WAL_LISTEN_SOCKET).")
    var listenSocket: String?

    /// The arguments `serve` is parsed from: `CLOUD_WAL_<OPTION>` variables become options,
    /// placed before the command line's own, for the options the command line does not give.
    static func arguments(_ commandLine: [String], environment: Environment) throws -> [String] {
        try SidecarEnvironment.arguments(from: environment, commandLine: commandLine) + commandLine
    }

    func execute() async throws {
        let environment = Environment.current()
        // A service runs one step louder than a command: one line per request served, like
        // the WAL-E sidecar's log. -q brings it back to warnings.
        let level = StderrLogHandler.level(verbose: options.common.verbose + 1, quiet: options.common.quiet)
        let logger = Logger(label: "cloud-wal") { StderrLogHandler(label: $0, level: level) }
        let destination = try SidecarEnvironment.destination(
            url: destinationURL, serverName: serverName, environment: environment)
        let plan = try options.plan(destinationURL: destination.url, serverName: destination.serverName, logger: logger)
        if try await options.common.runConnectivityTestIfRequested(plan.archive, logger: logger) { return }

        var settings = try SidecarEnvironment.settings(
            environment: environment, listenAddress: listenAddress, listenPort: listenPort, listenSocket: listenSocket)
        do {
            _ = try settings.validate()
        } catch let failure as SidecarFailure {
            throw WALError(.invalidInput, failure.message)
        }
        // Checked here too, before the spool is made: a bad socket path is a one-line error.
        if let socketPath = settings.socketPath { _ = try UnixSocketFile(path: socketPath) }
        // A private spool per process: fetched segments never mix with another run's files.
        let spool = try Self.makePrivateDirectory(in: settings.spoolDirectory)
        defer { Self.removeTree(spool) }
        settings.spoolDirectory = spool

        let archiver = WALArchiver(
            store: plan.archive.store, layout: plan.archive.layout, configuration: plan.archiver, logger: logger)
        // Restored WAL must come from the cluster whose PGDATA this sidecar serves.
        let restorer = WALRestorer(
            store: plan.archive.store, layout: plan.archive.layout, dataDirectory: settings.dataDirectory,
            keys: plan.archiver.encryption, logger: logger)
        let operations = LibraryWALOperations(archiver: archiver, restorer: restorer, walDirectory: settings.walDirectory)
        // Base backups of PGDATA as mounted here, over a PostgreSQL session configured the libpq
        // way (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), compressed like the WAL.
        var backupConfiguration = BaseBackup.Configuration(
            compression: plan.archiver.compression, compressionLevel: plan.archiver.compressionLevel,
            tags: plan.archiver.tags)
        backupConfiguration.localDataDirectory = settings.dataDirectory
        // The sidecar's keyring encrypts base backups as it encrypts WAL.
        backupConfiguration.encryption = plan.archiver.encryption
        // Whoever calls /backup-push waits for it (as WAL-E's did): no spread checkpoint first.
        backupConfiguration.immediateCheckpoint = true
        let runner = LibraryBackupRunner(
            store: plan.archive.store, layout: plan.archive.layout, configuration: backupConfiguration,
            postgres: try PostgresConnectionSettings.resolve(
                host: nil, port: nil, user: nil, database: nil, environment: environment),
            logger: logger)
        // Archiving ahead records in a folder per archive, named as `wal-archive --parallel` names it.
        let lookAhead = settings.archiveAhead > 0
            ? LookAheadArchiver(
                archiver: archiver, parallel: settings.archiveAhead,
                state: ArchiveStateDirectory(
                    baseDirectory: settings.stateDirectory,
                    archiveIdentity: "\(destination.url) \(destination.serverName)"),
                logger: logger)
            : nil
        let routes = SidecarRoutes(
            settings: settings, operations: operations,
            backupRunner: runner, lookAhead: lookAhead, logger: logger)
        logger.info("archiving to \(destination.url) as server \(destination.serverName)")
        try await SidecarServer(routes: routes, logger: logger).run()
    }

    private static func makePrivateDirectory(in parent: String) throws -> String {
        var template = Array("\(parent)/cloud-wal-serve-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard made != nil else {
            throw WALError(.invalidInput, "cannot create a spool directory in \(parent): \(String(cString: strerror(errno)))")
        }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The spool holds only files the server wrote; a flat removal is enough.
    private static func removeTree(_ directory: String) {
        for entry in (try? FileSystemOps.contents(of: directory)) ?? [] where !entry.isDirectory {
            try? FileSystemOps.remove(directory + "/" + entry.name)
        }
        rmdir(directory)
    }
}
