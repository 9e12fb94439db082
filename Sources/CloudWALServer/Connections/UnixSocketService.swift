import CloudWAL
import Hummingbird
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The token-free listener on a UNIX socket: the same routes, open to whoever may connect to
/// the 0600 file (this process's uid, which is PostgreSQL's), with the same connection limits.
///
/// Runs its own Hummingbird application; once it is bound (in a private staging directory, see
/// `UnixSocketFile`), the socket is published at its path, and removed again when the
/// application has shut down. A failure to publish stops the whole service group.
struct UnixSocketService: Service {
    let socket: UnixSocketFile
    let routes: SidecarRoutes
    let logger: Logger

    func run() async throws {
        let staging = try socket.makeStagingDirectory()
        let staged = UnixSocketFile.staged(in: staging)
        defer {
            unlink(staged)
            rmdir(staging)
        }
        let (bound, announce) = AsyncStream<Void>.makeStream()
        let app = Application(
            router: routes.router(access: .open),
            server: .guardedHTTP1(limits: routes.settings.limits),
            configuration: .init(address: .unixDomainSocket(path: staged), serverName: "cloud-wal"),
            onServerRunning: { _ in
                announce.yield()
                announce.finish()
            },
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { announce.finish() }
                try await app.run()
            }
            var isBound = false
            for await _ in bound { isBound = true }
            guard isBound else {
                // The application ended before binding: its error says why.
                try await group.next()
                throw WALError(.invalidInput, "cannot listen on \(socket.path)")
            }
            let identity: (device: UInt64, inode: UInt64)
            do {
                identity = try socket.publish(stagingDirectory: staging)
            } catch {
                group.cancelAll()
                throw error
            }
            logger.notice("cloud-wal serve listening on unix socket \(socket.path) (mode 0600, no token needed)")
            defer { socket.remove(identity: identity) }
            try await group.next()
        }
    }
}
