import Logging
import NIOCore
import NIOHTTPTypes

/// The deadline for receiving one request: from its first byte to its last, at most
/// `CLOUD_WAL_HEADER_TIMEOUT`. A slowloris client (a header byte every few seconds, each of
/// which would reset an idle timer) is closed when it passes.
///
/// Two handlers share this state because neither position sees everything: the first byte of a
/// request is visible only before the HTTP decoder (`RequestBytesWatcher`), the end of the
/// request and of its response only after it (`RequestPartsWatcher`). Both run on the
/// connection's event loop, which is what makes the shared, unsynchronised state safe.
final class RequestReadDeadline {
    private enum Phase {
        /// Between requests: the next byte starts the clock.
        case waiting
        /// The clock runs until the request's last part is decoded.
        case reading
        /// The request is in; the response is being produced (no limit here: a push may take
        /// minutes, bounded by the request timeout).
        case answering
    }

    private let limit: TimeAmount
    private let channel: any Channel
    private let logger: Logger
    private var phase = Phase.waiting
    private var timer: Scheduled<Void>?
    /// Bytes of a pipelined next request that arrived while answering.
    private var bytesWhileAnswering = false

    init(limit: TimeAmount, channel: any Channel, logger: Logger) {
        self.limit = limit
        self.channel = channel
        self.logger = logger
    }

    func bytesArrived() {
        switch phase {
        case .waiting: start()
        case .reading: break
        case .answering: bytesWhileAnswering = true
        }
    }

    func requestReceived() {
        timer?.cancel()
        timer = nil
        phase = .answering
        bytesWhileAnswering = false
    }

    func responseSent() {
        guard phase == .answering else { return }
        phase = .waiting
        if bytesWhileAnswering { start() }
    }

    func connectionClosed() {
        timer?.cancel()
        timer = nil
    }

    private func start() {
        phase = .reading
        let channel = self.channel
        let logger = self.logger
        let limit = self.limit
        timer = channel.eventLoop.scheduleTask(in: limit) {
            logger.info("closed a connection from \(channel.remoteAddress?.description ?? "?"): no complete request within \(limit)")
            channel.close(promise: nil)
        }
    }
}

/// Before the HTTP decoder: the first byte of each request starts its deadline.
final class RequestBytesWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let deadline: RequestReadDeadline

    init(_ deadline: RequestReadDeadline) { self.deadline = deadline }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline.bytesArrived()
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline.connectionClosed()
        context.fireChannelInactive()
    }
}

/// After the HTTP decoder: a request's end stops the deadline, its response's end re-arms it.
final class RequestPartsWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let deadline: RequestReadDeadline

    init(_ deadline: RequestReadDeadline) { self.deadline = deadline }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { deadline.requestReceived() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { deadline.responseSent() }
        context.write(data, promise: promise)
    }
}
