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

    /// Runs until a shutdown signal; `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let settings = routes.settings
        for warning in try settings.validate() { logger.warning("\(warning)") }
        if let warning = settings.ownershipWarning() { logger.warning("\(warning)") }
        try prepareSpool(settings.spoolDirectory)
        let logger = self.logger
        let app = Application(
            router: routes.router(),
            configuration: .init(
                address: .hostname(settings.listenAddress, port: settings.listenPort), serverName: "cloud-wal"),
            services: [Drain(routes: routes, logger: logger)],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.listenPort
                let token = settings.token == nil ? "off" : "required"
                logger.notice(
                    "cloud-wal serve listening on \(settings.listenAddress):\(port) (PGDATA \(settings.dataDirectory), PGWAL \(settings.walDirectory), token \(token))")
                await onListening(port)
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("cloud-wal serve stopped")
    }

    private func prepareSpool(_ directory: String) throws {
        guard FileSystemOps.isDirectory(directory) else {
            throw WALError(.invalidInput, "spool directory \(directory) does not exist")
        }
    }

    /// Waits for the shutdown signal, then for work that must not be cut short. Hummingbird
    /// shuts its services down in reverse order, so the HTTP server has stopped taking requests
    /// (and answered those in progress) before this drains.
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
