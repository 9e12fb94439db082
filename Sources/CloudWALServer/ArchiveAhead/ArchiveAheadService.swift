import ServiceLifecycle

/// The look-ahead watcher as one of `cloud-wal serve`'s services: cancelled on graceful
/// shutdown, it starts nothing new and returns once its uploads in flight have finished.
struct ArchiveAheadService: Service {
    let ahead: ArchiveAhead

    func run() async throws {
        let ahead = self.ahead
        await cancelWhenGracefulShutdown { await ahead.run() }
    }
}
