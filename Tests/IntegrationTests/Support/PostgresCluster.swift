import Foundation

/// Row of `pg_stat_archiver` that the tests care about.
struct ArchiverStats: Sendable, Equatable {
    var archivedCount: Int
    var lastArchivedWAL: String
    var failedCount: Int
    var lastFailedWAL: String
}

/// A throw-away PostgreSQL 15 cluster for integration tests.
///
/// Lives in its own /tmp directory (data dir, log, Unix socket, scratch space), listens on a free
/// 127.0.0.1 port only, and runs as `postgres` when the tests run as root. Always pair creation with
/// `cleanup()`; `withPostgresCluster` does that for you, including when the body throws.
actor PostgresCluster {
    /// Where initdb/pg_ctl live. `PG_BINDIR` overrides; /usr/local/bin symlinks on some machines are
    /// not owned by any package, so the versioned Debian directory is the reliable default.
    static let binDir = ProcessInfo.processInfo.environment["CLOUD_WAL_PG_BINDIR"]
        ?? "/usr/lib/postgresql/15/bin"

    enum WALMethod: String, Sendable {
        /// No WAL in the backup: recovery must fetch everything through restore_command.
        case none
        case stream
    }

    nonisolated let root: TempDirectory
    nonisolated let dataDir: String
    nonisolated let logFile: String
    private(set) var port: Int
    /// Extra environment for the server, so archive_command/restore_command see it (cloud credentials).
    private var serverEnvironment: [String: String] = [:]
    private var running = false
    private var removed = false

    private init(root: TempDirectory, port: Int) {
        self.root = root
        self.dataDir = root.path + "/data"
        self.logFile = root.path + "/server.log"
        self.port = port
    }

    nonisolated var walDirectory: String { dataDir + "/pg_wal" }

    // MARK: - Creation

    /// Runs initdb and writes the configuration; does not start the server.
    /// `settings` are extra postgresql.conf entries (archive_mode, archive_command, ...); values are
    /// written single-quoted, which PostgreSQL accepts for every setting type.
    static func initialize(settings: [String: String] = [:]) async throws -> PostgresCluster {
        guard FileManager.default.isExecutableFile(atPath: binDir + "/initdb") else {
            throw HarnessError("PostgreSQL not found at \(binDir) (run scripts/install-deps.sh)")
        }
        let root = try TempDirectory.make(prefix: "cloudwal-pg")
        let cluster = PostgresCluster(root: root, port: try Network.freeLoopbackPort())
        do {
            try await cluster.runInitdb()
            try await cluster.writeBaseConfig(extra: settings)
        } catch {
            await cluster.cleanup()
            throw error
        }
        return cluster
    }

    /// initdb + start.
    static func start(settings: [String: String] = [:]) async throws -> PostgresCluster {
        let cluster = try await initialize(settings: settings)
        do {
            try await cluster.start()
        } catch {
            await cluster.cleanup()
            throw error
        }
        return cluster
    }

    /// Starts a cluster from a plain-format base backup and waits until it has finished archive
    /// recovery and been promoted.
    ///
    /// The backup directory is moved (not copied) into the new cluster's own directory, so it is
    /// consumed and removed by `cleanup()`. `archive_mode` is off unless `settings` says otherwise,
    /// so the recovered server never writes into the archive it is reading from.
    static func recover(
        fromBackup backupDir: String,
        restoreCommand: String,
        settings: [String: String] = [:],
        timeout: Duration = .seconds(90),
        beforeStart: (_ dataDir: String) async throws -> Void = { _ in }
    ) async throws -> PostgresCluster {
        let root = try TempDirectory.make(prefix: "cloudwal-pg")
        let cluster = PostgresCluster(root: root, port: try Network.freeLoopbackPort())
        do {
            try await cluster.adoptBackup(backupDir)
            var conf = ["archive_mode": "off", "recovery_target_action": "promote"]
            conf.merge(settings) { _, new in new }
            conf["restore_command"] = restoreCommand
            try await cluster.writeBaseConfig(extra: conf)
            // recovery.signal = targeted archive recovery, then promotion (not a standby).
            guard FileManager.default.createFile(atPath: cluster.dataDir + "/recovery.signal", contents: Data()) else {
                throw HarnessError("cannot create \(cluster.dataDir)/recovery.signal")
            }
            try ServerAccount.current.own(cluster.dataDir + "/recovery.signal")
            // E.g. a sidecar that serves restore_command needs the data directory's path.
            try await beforeStart(cluster.dataDir)
            try await cluster.start(timeout: timeout)
            try await cluster.waitForPromotion(timeout: timeout)
        } catch {
            await cluster.cleanup()
            throw error
        }
        return cluster
    }

    /// Starts PostgreSQL on a data directory a restore tool produced (barman-cloud-restore or
    /// ours): the directory is moved in, given to the server account, and gets this harness's
    /// port and socket settings on top of whatever recovery settings the tool wrote. With
    /// `promote`, waits until recovery has ended.
    static func startRestored(
        directory: String, settings: [String: String] = [:], environment: [String: String] = [:], promote: Bool = true,
        timeout: Duration = .seconds(120)
    ) async throws -> PostgresCluster {
        let root = try TempDirectory.make(prefix: "cloudwal-pg")
        let cluster = PostgresCluster(root: root, port: try Network.freeLoopbackPort())
        do {
            await cluster.setServerEnvironment(environment)
            try await cluster.adoptBackup(directory)
            if geteuid() == 0 {
                try await ProcessRunner.check("/bin/chown", ["-R", "postgres:postgres", cluster.dataDir], timeout: .seconds(60))
            }
            guard chmod(cluster.dataDir, 0o700) == 0 else { throw HarnessError("chmod \(cluster.dataDir) failed") }
            var conf = ["archive_mode": "off"]
            conf.merge(settings) { _, new in new }
            try await cluster.writeBaseConfig(extra: conf)
            try await cluster.start(timeout: timeout)
            if promote { try await cluster.waitForPromotion(timeout: timeout) }
        } catch {
            await cluster.cleanup()
            throw error
        }
        return cluster
    }

    private func setServerEnvironment(_ environment: [String: String]) {
        serverEnvironment = environment
    }

    /// `-h -p -U` for our `backup` command and other libpq-style clients.
    var connectionArguments: [String] { connectionArgs }

    private func runInitdb() async throws {
        let result = try await ServerAccount.current.run(
            Self.binDir + "/initdb",
            ["-D", dataDir, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C", "-U", "postgres"],
            workingDirectory: root.path, timeout: .seconds(120))
        guard result.succeeded else {
            throw HarnessError("initdb failed (\(result.status)): \(lastLines(result.stderr))\n\(lastLines(result.stdout))")
        }
    }

    private func adoptBackup(_ backupDir: String) async throws {
        // rename() is instant on the same file system (both live under /tmp); fall back to cp -a.
        if rename(backupDir, dataDir) != 0 {
            try await ProcessRunner.check("/bin/cp", ["-a", backupDir, dataDir], timeout: .seconds(120))
            try? FileManager.default.removeItem(atPath: backupDir)
        }
        // A backup carries the primary's postmaster.opts/pid never, but be sure no stale pid blocks start.
        try? FileManager.default.removeItem(atPath: dataDir + "/postmaster.pid")
    }

    private func writeBaseConfig(extra: [String: String]) throws {
        var conf: [(String, String)] = [
            ("listen_addresses", "127.0.0.1"),
            ("port", String(port)),
            ("unix_socket_directories", root.path),
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "on"),
            ("wal_level", "replica"),
            ("max_wal_senders", "4"),
            // No timed or size-triggered checkpoint during a test: pg_wal then keeps every segment
            // written since the start, so tests can compare archived segments with the originals.
            ("checkpoint_timeout", "1h"),
            ("max_wal_size", "2GB"),
            ("log_min_messages", "info"),
            ("logging_collector", "off"),
        ]
        for key in extra.keys.sorted() { conf.append((key, extra[key] ?? "")) }
        try appendConfig(conf)
    }

    /// Later entries in postgresql.conf win, so appending is enough to override.
    private func appendConfig(_ entries: [(String, String)]) throws {
        var text = "\n# written by the cloud-wal test harness\n"
        for (key, value) in entries {
            text += "\(key) = '\(value.replacingOccurrences(of: "'", with: "''"))'\n"
        }
        let path = dataDir + "/postgresql.conf"
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw HarnessError("cannot open \(path)")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    // MARK: - Lifecycle

    func start(timeout: Duration = .seconds(60)) async throws {
        guard !running else { return }
        // The free port may be taken between probing and binding; pick another and retry.
        for attempt in 1...3 {
            let result = try await pgCtl(["-w", "-t", String(Int(timeout.components.seconds)), "-l", logFile, "start"],
                                         timeout: timeout + .seconds(10))
            if result.succeeded {
                running = true
                return
            }
            let log = logTail()
            if attempt < 3, log.contains("could not bind") || log.contains("Address already in use") {
                port = try Network.freeLoopbackPort()
                try appendConfig([("port", String(port))])
                continue
            }
            // pg_ctl may have left a postmaster behind after a -w timeout.
            _ = try? await pgCtl(["-m", "immediate", "-w", "-t", "20", "stop"], timeout: .seconds(30))
            throw HarnessError("pg_ctl start failed (\(result.status)): \(lastLines(result.stdout + result.stderr))\n"
                               + "--- server log (\(logFile)) ---\n\(log)")
        }
    }

    /// Fast shutdown. Idempotent, never throws: it runs on failure paths.
    func stop() async {
        guard running || FileManager.default.fileExists(atPath: dataDir + "/postmaster.pid") else {
            running = false
            return
        }
        let fast = try? await pgCtl(["-m", "fast", "-w", "-t", "30", "stop"], timeout: .seconds(40))
        if fast?.succeeded != true, FileManager.default.fileExists(atPath: dataDir + "/postmaster.pid") {
            _ = try? await pgCtl(["-m", "immediate", "-w", "-t", "20", "stop"], timeout: .seconds(30))
        }
        running = false
    }

    /// Stops the server and deletes everything it owned. Idempotent.
    func cleanup() async {
        await stop()
        if !removed {
            root.remove()
            removed = true
        }
    }

    private func pgCtl(_ args: [String], timeout: Duration) async throws -> ProcessResult {
        try await ServerAccount.current.run(Self.binDir + "/pg_ctl", ["-D", dataDir] + args,
                                            workingDirectory: root.path, environment: serverEnvironment, timeout: timeout)
    }

    /// Last lines of the server log, for error messages.
    nonisolated func logTail(lines: Int = 40) -> String {
        guard let data = FileManager.default.contents(atPath: logFile) else { return "(no server log)" }
        return lastLines(String(decoding: data, as: UTF8.self), lines: lines)
    }

    // MARK: - Clients

    private var connectionArgs: [String] { ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres"] }

    /// Runs SQL through psql and returns its unaligned, tuples-only output, trimmed.
    @discardableResult
    func psql(_ sql: String, database: String = "postgres", timeout: Duration = .seconds(60)) async throws -> String {
        let result = try await ProcessRunner.run(
            "/usr/bin/psql",
            ["-X", "-At", "-v", "ON_ERROR_STOP=1"] + connectionArgs + ["-d", database, "-c", sql],
            timeout: timeout)
        guard result.succeeded else {
            throw HarnessError("psql failed (\(result.status), timedOut \(result.timedOut)) for: \(sql)\n"
                               + "\(lastLines(result.stderr))\n--- server log ---\n\(logTail())")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `pgbench -i -s scale`.
    func pgbenchInit(scale: Int, timeout: Duration = .seconds(120)) async throws {
        try await pgbench(["-i", "-q", "-s", String(scale)], timeout: timeout)
    }

    /// A pgbench run of `transactions` per client (deterministic amount of work).
    @discardableResult
    func pgbench(transactions: Int, clients: Int = 2, timeout: Duration = .seconds(120)) async throws -> String {
        try await pgbench(["-n", "-c", String(clients), "-j", String(clients), "-t", String(transactions)],
                          timeout: timeout)
    }

    /// A timed pgbench run.
    @discardableResult
    func pgbench(seconds: Int, clients: Int = 2) async throws -> String {
        try await pgbench(["-n", "-c", String(clients), "-j", String(clients), "-T", String(seconds)],
                          timeout: .seconds(Int64(seconds) + 60))
    }

    @discardableResult
    private func pgbench(_ args: [String], timeout: Duration) async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/pgbench", connectionArgs + args + ["postgres"],
                                                 timeout: timeout)
        guard result.succeeded else {
            throw HarnessError("pgbench \(args.joined(separator: " ")) failed (\(result.status)): "
                               + "\(lastLines(result.stderr))\n--- server log ---\n\(logTail())")
        }
        return result.stdout
    }

    // MARK: - WAL and archiving

    /// Forces a WAL segment switch and returns the name of the segment just completed.
    /// (pg_walfile_name rounds an exact segment boundary down, so this is the closed segment even
    /// when nothing had been written since the last switch.)
    @discardableResult
    func switchWAL() async throws -> String {
        try await psql("select pg_walfile_name(pg_switch_wal())")
    }

    func archiverStats() async throws -> ArchiverStats {
        let row = try await psql("""
            select archived_count, coalesce(last_archived_wal, ''), failed_count, coalesce(last_failed_wal, '')
            from pg_stat_archiver
            """)
        let fields = row.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4, let archived = Int(fields[0]), let failed = Int(fields[2]) else {
            throw HarnessError("unexpected pg_stat_archiver row: \(row)")
        }
        return ArchiverStats(archivedCount: archived, lastArchivedWAL: fields[1],
                             failedCount: failed, lastFailedWAL: fields[3])
    }

    /// Waits until `segment` (and so every earlier one) has been archived.
    /// With `failOnError`, a failed archive attempt ends the wait at once instead of at the deadline.
    @discardableResult
    func waitForArchiver(upTo segment: String, timeout: Duration = .seconds(60),
                         failOnError: Bool = true) async throws -> ArchiverStats {
        try await waitForArchiver(timeout: timeout, failOnError: failOnError, "archiving of \(segment)") {
            // Segment names of one timeline sort like their positions.
            $0.lastArchivedWAL.count == segment.count && $0.lastArchivedWAL >= segment
        }
    }

    /// Waits until at least `count` files have been archived since the cluster started.
    @discardableResult
    func waitForArchiver(count: Int, timeout: Duration = .seconds(60),
                         failOnError: Bool = true) async throws -> ArchiverStats {
        try await waitForArchiver(timeout: timeout, failOnError: failOnError, "\(count) archived files") {
            $0.archivedCount >= count
        }
    }

    private func waitForArchiver(timeout: Duration, failOnError: Bool, _ what: String,
                                 _ done: @Sendable (ArchiverStats) -> Bool) async throws -> ArchiverStats {
        var last: ArchiverStats?
        do {
            return try await waitUntil(timeout: timeout, what) {
                let stats = try await self.archiverStats()
                last = stats
                if failOnError && stats.failedCount > 0 {
                    throw HarnessError("archive_command failed \(stats.failedCount)x (last failed \(stats.lastFailedWAL))")
                }
                return done(stats) ? stats : nil
            }
        } catch {
            // Exit codes 126/127 kill the archiver without counting as failures: the log shows them.
            throw HarnessError("\(error)\nlast pg_stat_archiver: \(String(describing: last))\n"
                               + "--- server log (\(logFile)) ---\n\(logTail())")
        }
    }

    /// Waits until recovery has ended and the server accepts writes.
    func waitForPromotion(timeout: Duration = .seconds(60)) async throws {
        do {
            _ = try await waitUntil(timeout: timeout, "promotion (pg_is_in_recovery() = false)") {
                // Connections are refused until the backup reaches consistency; keep polling.
                let inRecovery = try? await self.psql("select pg_is_in_recovery()", timeout: .seconds(10))
                return inRecovery == "f" ? true : nil
            }
        } catch {
            throw HarnessError("\(error)\n--- server log (\(logFile)) ---\n\(logTail())")
        }
    }

    /// A directory inside this cluster's private directory, owned by the server account; removed by
    /// `cleanup()`. Use it for base backups.
    func scratchDirectory(_ name: String) throws -> String {
        try root.subdirectory(name)
    }

    /// `pg_basebackup -Fp` into `path`, which must not exist yet (its parent must be writable by
    /// the server account, e.g. a `scratchDirectory`). Runs as the server account so the files
    /// belong to it.
    func basebackup(to path: String, walMethod: WALMethod = .none, timeout: Duration = .seconds(120)) async throws {
        let result = try await ServerAccount.current.run(
            "/usr/bin/pg_basebackup",
            connectionArgs + ["-D", path, "-Fp", "-X", walMethod.rawValue, "-c", "fast", "--no-sync"],
            workingDirectory: root.path, timeout: timeout)
        guard result.succeeded else {
            throw HarnessError("pg_basebackup failed (\(result.status), timedOut \(result.timedOut)): "
                               + "\(lastLines(result.stderr))\n--- server log ---\n\(logTail())")
        }
    }
}

/// Runs `body` with a started cluster and always cleans it up, also when `body` throws.
/// (`defer` cannot await, so this is the structured way to guarantee the server is stopped.)
func withPostgresCluster<T: Sendable>(
    isolation: isolated (any Actor)? = #isolation,
    settings: [String: String] = [:],
    _ body: (PostgresCluster) async throws -> T
) async throws -> T {
    try await withCleanup(of: try await PostgresCluster.start(settings: settings), body)
}

/// Runs `body` and then `cluster.cleanup()`, whether `body` returns or throws.
func withCleanup<T: Sendable>(
    isolation: isolated (any Actor)? = #isolation,
    of cluster: PostgresCluster,
    _ body: (PostgresCluster) async throws -> T
) async throws -> T {
    do {
        let value = try await body(cluster)
        await cluster.cleanup()
        return value
    } catch {
        await cluster.cleanup()
        throw error
    }
}
