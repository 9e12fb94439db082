import CloudWAL
import Hummingbird
import Logging

/// The sidecar's HTTP surface. Each handler validates the request, calls the library through
/// `WALOperations` or `BaseBackupRunner`, and maps the outcome; errors become answers only in
/// `SidecarFailure.init(_:)`.
///
/// Every WAL route is served under GET (the WAL-E sidecar's interface, for `wget URL`) and POST.
public struct SidecarRoutes: Sendable {
    public let settings: SidecarSettings
    public let operations: any WALOperations
    public let activity: SidecarActivity
    public let pushes: SingleFlight<WALPushResult>
    /// The look-ahead watcher (`CLOUD_WAL_ARCHIVE_AHEAD`); nil when off. `SidecarServer` runs it.
    public let ahead: ArchiveAhead?
    /// `/wal-fetch`'s prefetch into the private spool (off when `settings.fetchAhead` is 0).
    public let fetchAhead: FetchAhead
    public let backups: BackupJobTracker?
    let logger: Logger

    /// `lookAhead` (the archiver and state folder the watcher records with) turns archiving
    /// ahead on, `settings.archiveAhead` segments at a time.
    public init(
        settings: SidecarSettings, operations: any WALOperations, backupRunner: (any BaseBackupRunner)?,
        activity: SidecarActivity = SidecarActivity(), lookAhead: LookAheadArchiver? = nil, logger: Logger
    ) {
        self.settings = settings
        self.operations = operations
        self.activity = activity
        let pushes = SingleFlight<WALPushResult>()
        self.pushes = pushes
        self.ahead = settings.archiveAhead > 0
            ? lookAhead.map {
                ArchiveAhead(
                    lookAhead: $0, concurrency: settings.archiveAhead, walDirectory: settings.walDirectory,
                    pushes: pushes, logger: logger)
            }
            : nil
        self.fetchAhead = FetchAhead(
            depth: settings.fetchAhead, directory: settings.spoolDirectory, operations: operations, logger: logger)
        self.backups = backupRunner.map { BackupJobTracker(runner: $0) }
        self.logger = logger
    }

    /// The TCP listener's routes, guarded as the settings say (`SidecarSettings.tcpAccess`).
    public func router() -> Router<BasicRequestContext> { router(access: settings.tcpAccess) }

    /// The routes behind `access`: the TCP listener's policy, or `.open` for the UNIX socket.
    public func router(access: AccessPolicy) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: TokenMiddleware(access: access, activity: activity))
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/ping", method: method) { _, _ in Responses.text(200, "pong") }
            router.on("/wal-push/**", method: method) { request, _ in await self.walPush(request) }
            router.on("/wal-fetch/**", method: method) { request, _ in await self.walFetch(request) }
            router.on("/backup-push", method: method) { request, _ in await self.backupPush(request) }
        }
        router.post("/backups") { request, _ in await self.startBackup(request) }
        router.get("/backups") { _, _ in await self.listBackups() }
        router.get("/backups/:id") { _, context in await self.showBackup(context.parameters.get("id") ?? "") }
        router.get("/status") { _, _ in await self.status() }
        router.get("/metrics") { _, _ in
            Responses.prometheus(await self.activity.prometheusText() + (await self.ahead?.prometheusText() ?? ""))
        }
        return router
    }

    /// The operation a path belongs to, for counting refusals.
    static func operation(forPath path: String) -> SidecarActivity.Operation? {
        if path.hasPrefix("/wal-push/") { return .walPush }
        if path.hasPrefix("/wal-fetch/") { return .walFetch }
        if path.hasPrefix("/backup") { return .backup }
        return nil
    }

    // MARK: - WAL

    func walPush(_ request: Request) async -> Response {
        guard let wal = WALRequestName.parse(path: request.uri.path) else {
            return await refuse(.walPush, .invalidName(FileSystemOps.baseName(of: request.uri.path)))
        }
        await activity.begin(.walPush, wal.name)
        let start = ContinuousClock.now
        do {
            let answer = try await Deadline.run(within: settings.requestTimeout) { try await self.archive(wal) }
            let recorded: SidecarActivity.Outcome
            let line: String
            var joined = false
            switch answer {
            case .storedAhead(let key):
                recorded = .alreadyArchived
                line = "\(wal.name) was archived ahead as \(key) with the same content"
            case .uploaded(let result, let didJoin):
                joined = didJoin
                switch result.outcome {
                case .archived(let key, let size, let stored):
                    recorded = .archived(bytes: joined ? 0 : size, storedBytes: joined ? 0 : stored)
                    line = "archived \(wal.name) as \(key)"
                case .alreadyArchived(let key):
                    recorded = .alreadyArchived
                    line = "\(wal.name) was already archived as \(key) with the same content"
                }
            }
            await activity.end(.walPush, wal.name, outcome: recorded, seconds: seconds(since: start), joined: joined)
            return Responses.text(200, line)
        } catch {
            return await fail(.walPush, wal.name, error, since: start)
        }
    }

    func walFetch(_ request: Request) async -> Response {
        guard let wal = WALRequestName.parse(path: request.uri.path) else {
            return await refuse(.walFetch, .invalidName(FileSystemOps.baseName(of: request.uri.path)))
        }
        // Checked before anything is read from storage: a refused dest costs nothing.
        let dests = request.uri.queryParameters.getAll("dest")
        guard dests.count <= 1 else {
            return await refuse(.walFetch, SidecarFailure(DestinationPath.Rejected(reason: "dest is given more than once")))
        }
        var destination: (directory: WALDirectory, name: String)?
        if let dest = dests.first {
            do {
                let name = try DestinationPath.fileName(dest, fetching: wal, rules: destinationRules)
                let directory = try WALDirectory(path: settings.walDirectory)
                try directory.checkWritable(name)
                destination = (directory, name)
            } catch {
                return await refuse(.walFetch, SidecarFailure(error))
            }
        }
        // Always restored into the private spool first (complete and verified); then either sent
        // or put into the WAL directory through its descriptor.
        let spooled = FileSystemOps.temporarySibling(of: settings.spoolDirectory + "/" + wal.name)
        await activity.begin(.walFetch, wal.name)
        let start = ContinuousClock.now
        do {
            let fetchAhead = self.fetchAhead
            let (size, source) = try await Deadline.run(within: settings.requestTimeout) {
                try await fetchAhead.fetch(wal, to: spooled)
            }
            if source != .archive { logger.debug("served \(wal.name) from the spool (\(source))") }
            guard let destination else {
                await activity.end(.walFetch, wal.name, outcome: .restored(bytes: size), seconds: seconds(since: start))
                return Response(
                    status: .ok,
                    headers: [.contentType: "application/octet-stream", .contentLength: String(size)],
                    body: SpooledFile.responseBody(path: spooled, size: size))
            }
            defer { try? FileSystemOps.remove(spooled) }
            try destination.directory.install(from: spooled, as: destination.name)
            await activity.end(.walFetch, wal.name, outcome: .restored(bytes: size), seconds: seconds(since: start))
            return Responses.text(200, "restored \(wal.name) to pg_wal/\(destination.name)")
        } catch {
            try? FileSystemOps.remove(spooled)
            return await fail(.walFetch, wal.name, error, since: start)
        }
    }

    /// How `dest` may be spelled here, with the directories' resolved paths as written by
    /// `realpath` (so `dest=/mnt/wal/RECOVERYXLOG` works when pg_wal links there).
    var destinationRules: DestinationPath.Rules {
        DestinationPath.Rules(
            dataDirectory: settings.dataDirectory, walDirectory: settings.walDirectory,
            resolvedSpellings: [settings.walDirectory].compactMap(WALDirectory.resolvedPath))
    }

    // MARK: - Base backups

    func backupPush(_ request: Request) async -> Response {
        guard let backups else { return await refuse(.backup, Self.backupsNotConfigured) }
        let name = request.uri.queryParameters["name"].map(String.init)
        let job: BackupJobTracker.Job
        do {
            job = try await backups.start(name: name)
        } catch {
            return await refuse(.backup, Self.conflict(error))
        }
        await activity.begin(.backup, job.id)
        let start = ContinuousClock.now
        let finished = await backups.wait(for: job.id) ?? job
        if finished.state == .done {
            await activity.end(.backup, job.id, outcome: .backupFinished, seconds: seconds(since: start))
            return Responses.json(200, SidecarActivity.json(finished))
        }
        let failure = SidecarFailure(status: 500, reason: .internalError, message: finished.error ?? "backup failed")
        await activity.end(.backup, job.id, outcome: .failed(failure), seconds: seconds(since: start))
        return Responses.json(500, SidecarActivity.json(finished))
    }

    func startBackup(_ request: Request) async -> Response {
        guard let backups else { return await refuse(.backup, Self.backupsNotConfigured) }
        let name = request.uri.queryParameters["name"].map(String.init)
        do {
            let job = try await backups.start(name: name)
            let activity = self.activity
            await activity.begin(.backup, job.id)
            let start = ContinuousClock.now
            // Recorded when done, whoever polls; the request itself answers at once.
            Task {
                let finished = await backups.wait(for: job.id)
                let outcome: SidecarActivity.Outcome = finished?.state == .done
                    ? .backupFinished
                    : .failed(SidecarFailure(status: 500, reason: .internalError, message: finished?.error ?? "backup failed"))
                await activity.end(.backup, job.id, outcome: outcome, seconds: Self.seconds(since: start))
            }
            return Responses.json(202, SidecarActivity.json(job), headers: [.location: "/backups/\(job.id)"])
        } catch {
            return await refuse(.backup, Self.conflict(error))
        }
    }

    func listBackups() async -> Response {
        guard let backups else { return Responses.failure(Self.backupsNotConfigured) }
        return Responses.json(200, .array(await backups.all.map(SidecarActivity.json)))
    }

    func showBackup(_ id: String) async -> Response {
        guard let backups else { return Responses.failure(Self.backupsNotConfigured) }
        guard let job = await backups.job(id) else {
            return Responses.failure(SidecarFailure(status: 404, reason: .notFound, message: "no backup job \(id.prefix(100))"))
        }
        return Responses.json(200, SidecarActivity.json(job))
    }

    static let backupsNotConfigured = SidecarFailure(
        status: 501, reason: .notConfigured, message: "base backups are not configured in this sidecar")

    static func conflict(_ error: any Error) -> SidecarFailure {
        guard let running = error as? BackupJobTracker.AlreadyRunning else { return SidecarFailure(error) }
        return SidecarFailure(
            status: 409, reason: .backupRunning,
            message: "a base backup is already running: /backups/\(running.running.id)")
    }

    // MARK: - Status

    func status() async -> Response {
        let jobs = await backups?.all
        var members: [JSONText.Member] = []
        if case .object(let activityMembers) = await activity.statusJSON(backups: jobs) { members = activityMembers }
        let tcp: String
        switch settings.tcpAccess {
        case .token: tcp = "token"
        case .open: tcp = "none"
        case .socketOnly: tcp = "ping only"
        }
        members.append(.init("authentication", .object([.init("tcp", .string(tcp)), .init("unix_socket", .optional(settings.socketPath))])))
        members.append(.init("archive_ahead", await ahead?.statusJSON() ?? .null))
        members.append(.init("warnings", .array([settings.unauthenticatedWarning].compactMap { $0 }.map(JSONText.string))))
        return Responses.json(200, .object(members))
    }

    // MARK: - Helpers

    private func refuse(_ operation: SidecarActivity.Operation, _ failure: SidecarFailure) async -> Response {
        await activity.rejected(operation, failure)
        logger.warning("refused \(operation.rawValue): \(failure.message)")
        return Responses.failure(failure)
    }

    private func fail(_ operation: SidecarActivity.Operation, _ segment: String, _ error: any Error, since start: ContinuousClock.Instant)
        async -> Response
    {
        let failure = SidecarFailure(error)
        await activity.end(operation, segment, outcome: .failed(failure), seconds: seconds(since: start))
        if failure.reason == .notFound {
            logger.info("\(operation.rawValue) \(segment): \(failure.message)")
        } else {
            logger.error("\(operation.rawValue) \(segment) failed (\(failure.status)): \(failure.message)")
        }
        return Responses.failure(failure)
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double { Self.seconds(since: start) }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
