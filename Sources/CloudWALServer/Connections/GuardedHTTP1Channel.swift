import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 child channel with the sidecar's limits around it: a connection cap
/// (excess connections are answered 503 at once), a deadline per request read
/// (`RequestReadDeadline`), and Hummingbird's own idle timeout.
///
/// Hummingbird's configuration offers the idle timeout but neither of the others, and its
/// `availableConnectionsDelegate` stops accepting at the cap, which queues clients in the
/// kernel's backlog without an answer; hence this wrapper around `HTTP1Channel`.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let counter: ConnectionCounter

    init(responder: @escaping HTTPChannelHandler.Responder, limits: ConnectionLimits) {
        self.responder = responder
        self.limits = limits
        self.counter = ConnectionCounter(limit: limits.maxConnections)
    }

    private func http1(extraHandlers: @escaping @Sendable () -> [any RemovableChannelHandler]) -> HTTP1Channel {
        HTTP1Channel(
            responder: responder,
            configuration: .init(additionalChannelHandlers: extraHandlers(), idleTimeout: TimeAmount(limits.idleTimeout)))
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard counter.acquire() else {
            logger.info("refused a connection from \(channel.remoteAddress?.description ?? "?"): \(counter.limit) connections are open")
            do {
                try channel.pipeline.syncOperations.addHandler(ConnectionRefusal(limit: counter.limit))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
            return http1(extraHandlers: { [] }).setup(channel: channel, logger: logger)
        }
        let counter = self.counter
        channel.closeFuture.whenComplete { _ in counter.release() }
        let deadline = NIOLoopBound(
            RequestReadDeadline(limit: TimeAmount(limits.headerTimeout), channel: channel, logger: logger),
            eventLoop: channel.eventLoop)
        do {
            // First in the pipeline, before the HTTP decoder that `HTTP1Channel` adds.
            try channel.pipeline.syncOperations.addHandler(RequestBytesWatcher(deadline.value))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // Called on the event loop inside `HTTP1Channel.setup`, where `deadline.value` may be read.
        return http1(extraHandlers: { [RequestPartsWatcher(deadline.value)] }).setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await http1(extraHandlers: { [] }).handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the sidecar's connection limits.
    static func guardedHTTP1(limits: ConnectionLimits) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in GuardedHTTP1Channel(responder: responder, limits: limits) }
    }
}
