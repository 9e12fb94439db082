import CloudWAL
import Hummingbird
import Logging
import ServiceLifecycle

/// `cloud-wal serve`: the routes on a socket, under a ServiceGroup that shuts down gracefully on
/// SIGTERM and SIGINT: the listener closes, requests in progress are answered, and uploads that
/// outlived their request (see `SingleFlight`) and a running base backup finish before exit.
public struct SidecarServer: Sendable {
    public let routes: SidecarRoutes
    let logger: Logger

    public init(routes: SidecarRoutes, logger: Logger) {
        self.routes = routes
        self.logger = logger
    }

    /// Runs until a shutdown signal; `onListening` gets the bound TCP port (useful with port 0).
    ///
    /// Two listeners when `CLOUD_WAL_LISTEN_SOCKET` is set: TCP (the WAL-E style URLs, guarded
    /// by the token) and the UNIX socket (no token; the file's mode guards it). Each is its own
    /// Hummingbird application over the same routes, so both share uploads, jobs and metrics.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let settings = routes.settings
        for warning in try settings.validate() { logger.warning("\(warning)") }
        if let warning = settings.ownershipWarning() { logger.warning("\(warning)") }
        try prepareSpool(settings.spoolDirectory)
        let socket = try settings.socketPath.map { try UnixSocketFile(path: $0) }
        let logger = self.logger
        let access: String
        switch settings.tcpAccess {
        case .token: access = "token required"
        case .open: access = "NO TOKEN (CLOUD_WAL_ALLOW_UNAUTHENTICATED)"
        case .socketOnly: access = "no token configured: only /ping, use the socket"
        }
        let tcp = Application(
            router: routes.router(),
            server: .guardedHTTP1(limits: settings.limits),
            configuration: .init(
                address: .hostname(settings.listenAddress, port: settings.listenPort), serverName: "cloud-wal"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.listenPort
                logger.notice(
                    "cloud-wal serve listening on \(settings.listenAddress):\(port) (PGDATA \(settings.dataDirectory), PGWAL \(settings.walDirectory), \(access))")
                await onListening(port)
            },
            logger: logger)
        // Shut down in reverse order: the listeners stop taking requests (and answer those in
        // progress) before `Drain` waits for the work that outlived its request.
        var services: [any Service] = [Drain(routes: routes, logger: logger)]
        // Stopped after the listeners and before `Drain`, which then waits for its uploads too.
        if let ahead = routes.ahead {
            services.append(ArchiveAheadService(ahead: ahead))
            logger.info("archiving up to \(ahead.concurrency) segment(s) ahead; records in \(ahead.lookAhead.state.directory)")
        }
        if let socket { services.append(UnixSocketService(socket: socket, routes: routes, logger: logger)) }
        services.append(tcp)
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("cloud-wal serve stopped")
    }

    private func prepareSpool(_ directory: String) throws {
        guard FileSystemOps.isDirectory(directory) else {
            throw WALError(.invalidInput, "spool directory \(directory) does not exist")
        }
    }

    /// Waits for the shutdown signal, then for work that must not be cut short. The service
    /// group shuts its services down in reverse order, so both listeners have stopped taking
    /// requests (and answered those in progress) before this drains.
    struct Drain: Service {
        let routes: SidecarRoutes
        let logger: Logger

        func run() async throws {
            try? await gracefulShutdown()
            let pending = await routes.pushes.keys
            if !pending.isEmpty { logger.notice("finishing \(pending.count) upload(s) before exit: \(pending.joined(separator: ", "))") }
            await routes.pushes.drain()
            await routes.backups?.drain()
        }
    }
}
