import AsyncHTTPClient
import NIOCore
import NIOPosix

/// The real network: `HTTPTransport` over AsyncHTTPClient.
///
/// Every wait has a deadline: connecting (10 s), each attempt until the response head (the
/// `timeout` a call passes), and the idle time between bytes in either direction (`idleTimeout`,
/// `--read-timeout`), which AsyncHTTPClient enforces per connection. So a server that sends its
/// head and then stalls in the body, or stops reading an upload, fails the attempt in bounded time.
public struct AsyncHTTPClientTransport: HTTPTransport {
    private let client: OwnedClient

    /// A transport with the default idle timeout shares one client per process; the client is
    /// created on first use only (a `static let` is lazy), so commands that never touch the network
    /// pay nothing for it at start-up.
    public init() {
        client = Self.processClient
    }

    /// A transport whose connections allow `idleTimeout` between bytes. A store makes one per process.
    public init(idleTimeout: Duration) {
        client = idleTimeout == Self.defaultIdleTimeout ? Self.processClient : OwnedClient(idleTimeout: idleTimeout)
    }

    static let defaultIdleTimeout: Duration = .seconds(60)
    private static let processClient = OwnedClient(idleTimeout: defaultIdleTimeout)

    /// The client, shut down when the last transport using it goes (AsyncHTTPClient requires it).
    private final class OwnedClient: Sendable {
        let http: HTTPClient

        init(idleTimeout: Duration) {
            var configuration = HTTPClient.Configuration()
            // AsyncHTTPClient would otherwise keep retrying a refused connection until the request's
            // deadline (a minute of silence before `archive_command` learns the store is down); our
            // `RetryStateMachine` decides about retries instead.
            configuration.connectionPool.retryConnectionEstablishment = false
            let idle = AsyncHTTPClientTransport.timeAmount(idleTimeout)
            configuration.timeout = .init(connect: .seconds(10), read: idle, write: idle)
            // One event loop: a command makes a handful of requests, and every extra thread costs
            // resident memory (stack, malloc arena) in a process PostgreSQL starts per segment.
            http = HTTPClient(
                eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup(numberOfThreads: 1)),
                configuration: configuration)
        }

        deinit {
            http.shutdown { _ in }
        }
    }

    public func send(_ request: HTTPRequest, timeout: Duration, maxResponseBytes: Int) async throws -> HTTPResponse {
        do {
            let response = try await client.http.execute(Self.outgoing(request), timeout: Self.timeAmount(timeout))
            let body = try await response.body.collect(upTo: maxResponseBytes)
            return HTTPResponse(
                status: Int(response.status.code),
                headers: response.headers.map { (name: $0.name, value: $0.value) },
                body: Array(buffer: body))
        } catch let error as HTTPTransportError {
            throw error
        } catch {
            throw Self.classify(error, url: request.url)
        }
    }

    public func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
        let response: HTTPClientResponse
        do {
            response = try await client.http.execute(Self.outgoing(request), timeout: Self.timeAmount(timeout))
        } catch {
            throw Self.classify(error, url: request.url)
        }
        let reader = BodyReader(iterator: response.body.makeAsyncIterator(), url: request.url)
        return HTTPStreamingResponse(
            status: Int(response.status.code),
            headers: response.headers.map { (name: $0.name, value: $0.value) },
            body: AsyncThrowingStream { try await reader.next() })
    }

    /// Pulls the response body one buffer per `next()`.
    ///
    /// `@unchecked Sendable`: the stream's consumer calls `next()` serially, never concurrently,
    /// so the iterator is never touched from two tasks at once.
    private final class BodyReader: @unchecked Sendable {
        private var iterator: HTTPClientResponse.Body.AsyncIterator
        private let url: String

        init(iterator: HTTPClientResponse.Body.AsyncIterator, url: String) {
            self.iterator = iterator
            self.url = url
        }

        func next() async throws -> [UInt8]? {
            do {
                return try await iterator.next().map { Array(buffer: $0) }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // The head was in, so the server was reachable: whatever broke the body (a reset, a
                // close before the declared length, a stall past the idle timeout) is worth resuming.
                let classified = AsyncHTTPClientTransport.classify(error, url: url)
                throw classified.kind == .other
                    ? HTTPTransportError(.connectionReset, classified.message) : classified
            }
        }
    }

    private static func outgoing(_ request: HTTPRequest) -> HTTPClientRequest {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .init(rawValue: request.method)
        for header in request.headers {
            outgoing.headers.add(name: header.name, value: header.value)
        }
        if let streamed = request.streamedBody {
            let chunks = streamed.makeChunks()
            outgoing.body = .stream(chunks.map { ByteBuffer(bytes: $0) }, length: .known(Int64(streamed.length)))
        } else if !request.body.isEmpty || ["PUT", "POST"].contains(request.method) {
            // The array itself, not a ByteBuffer copy of it: the client slices it lazily in 4 MB
            // pieces, so a 16 MiB segment is not held twice.
            outgoing.body = .bytes(request.body)
        }
        return outgoing
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let components = duration.components
        return .nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
    }

    /// Sorts client failures into what a retry policy needs to know. Only what no retry can mend
    /// (a bad URL, a TLS certificate or handshake refusal, a configuration error) is `.other`; a
    /// connection that broke in any way is `.connectionReset`, so a request is tried again.
    static func classify(_ error: any Error, url: String) -> HTTPTransportError {
        let text = "\(error)"
        let host = url.split(separator: "/", maxSplits: 3).dropFirst().first.map(String.init) ?? url
        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .connectTimeout, .readTimeout, .deadlineExceeded, .writeTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout:
                return HTTPTransportError(.timedOut, "Timed out talking to \(host)")
            case .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown,
                .invalidRedirectConfiguration, .invalidHTTPVersionConfiguration, .invalidProxyConfiguration,
                .invalidLocalAddress, .invalidDNSOverridesConfiguration, .traceRequestWithBody,
                .incompatibleHeaders, .bodyLengthMismatch:
                return HTTPTransportError(.other, "Request to \(host) failed: \(text)")
            default:
                return HTTPTransportError(.connectionReset, "\(host) closed or broke the connection (\(text))")
            }
        }
        if error is NIOConnectionError || text.contains("connectionRefused") || text.contains("Connection refused") {
            return HTTPTransportError(.connectFailed, "Cannot connect to \(host): connection refused")
        }
        if text.contains("NXDOMAIN") || text.contains("resolve") || text.contains("lookup") {
            return HTTPTransportError(.connectFailed, "Cannot resolve \(host)")
        }
        if let ioError = error as? IOError {
            return HTTPTransportError(.connectionReset, "Connection to \(host) failed: \(ioError.description)")
        }
        // "I/O on closed channel", EOF, an HTTP parse error on a garbled answer: the connection broke.
        if error is ChannelError || text.contains("HTTPParserError") {
            return HTTPTransportError(.connectionReset, "Connection to \(host) broke: \(text)")
        }
        let isTLSRefusal = text.lowercased().contains("certificate") || text.contains("handshake")
            || (text.contains("NIOSSL") && !text.contains("uncleanShutdown"))
        if isTLSRefusal {
            return HTTPTransportError(.other, "TLS with \(host) failed: \(text)")
        }
        return HTTPTransportError(.connectionReset, "Request to \(host) failed: \(text)")
    }
}
