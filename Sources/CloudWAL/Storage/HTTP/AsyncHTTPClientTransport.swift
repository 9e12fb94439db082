import AsyncHTTPClient
import NIOCore
import NIOPosix

/// The real network: `HTTPTransport` over AsyncHTTPClient.
///
/// The client is created on first use only (a `static let` is lazy), so commands that never
/// touch the network (the `file://` backend, `--help`) pay nothing for it at start-up.
public struct AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient

    public init(client: HTTPClient? = nil) {
        self.client = client ?? Self.processClient
    }

    /// One client per process, immutable once made. AsyncHTTPClient would otherwise keep
    /// retrying a refused connection until the request's deadline (a minute of silence before
    /// `archive_command` learns the store is down); our `RetryPolicy` decides about retries instead.
    private static let processClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        // One event loop: a command makes a handful of sequential requests, and every extra thread
        // costs resident memory (stack, malloc arena) in a process PostgreSQL starts per segment.
        return HTTPClient(
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup(numberOfThreads: 1)), configuration: configuration)
    }()

    public func send(_ request: HTTPRequest, timeout: Duration, maxResponseBytes: Int) async throws -> HTTPResponse {
        do {
            let response = try await client.execute(Self.outgoing(request), timeout: Self.timeAmount(timeout))
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
            response = try await client.execute(Self.outgoing(request), timeout: Self.timeAmount(timeout))
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
            } catch {
                throw AsyncHTTPClientTransport.classify(error, url: url)
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

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let components = duration.components
        return .nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
    }

    /// Sorts client failures into what a retry policy needs to know.
    static func classify(_ error: any Error, url: String) -> HTTPTransportError {
        let text = "\(error)"
        let host = url.split(separator: "/", maxSplits: 3).dropFirst().first.map(String.init) ?? url
        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .connectTimeout, .readTimeout, .deadlineExceeded, .writeTimeout:
                return HTTPTransportError(.timedOut, "Timed out talking to \(host)")
            case .remoteConnectionClosed:
                return HTTPTransportError(.connectionReset, "\(host) closed the connection")
            default:
                break
            }
        }
        if error is NIOConnectionError || text.contains("connectionRefused") || text.contains("Connection refused") {
            return HTTPTransportError(.connectFailed, "Cannot connect to \(host): connection refused")
        }
        if let ioError = error as? IOError {
            return HTTPTransportError(.connectionReset, "Connection to \(host) failed: \(ioError.description)")
        }
        if text.contains("NXDOMAIN") || text.contains("resolve") || text.contains("lookup") {
            return HTTPTransportError(.connectFailed, "Cannot resolve \(host)")
        }
        return HTTPTransportError(.other, "Request to \(host) failed: \(text)")
    }
}
