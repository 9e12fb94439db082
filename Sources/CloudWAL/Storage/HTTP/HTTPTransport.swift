/// The seam between the cloud backends and the network: one request in, one response out.
///
/// Backends and credential providers speak through this protocol, so their logic is tested
/// with a scripted transport and the real client (AsyncHTTPClient) lives in one file.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and collects the whole response body (at most `maxResponseBytes`).
    /// Throws `HTTPTransportError` when no response arrived (refused, reset, timed out).
    func send(_ request: HTTPRequest, timeout: Duration, maxResponseBytes: Int) async throws -> HTTPResponse

    /// Sends `request` and returns as soon as the response head arrives; the body follows as
    /// chunks, so a large download never sits in memory whole. A failure while the body streams
    /// surfaces from the stream as `HTTPTransportError`.
    func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse
}

extension HTTPTransport {
    /// For transports without native streaming (test doubles): the collected body as one chunk.
    public func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
        var request = request
        if let streamed = request.streamedBody {
            request.body = try await streamed.collect()
            request.streamedBody = nil
        }
        let response = try await send(request, timeout: timeout, maxResponseBytes: Int.max)
        let body = response.body
        return HTTPStreamingResponse(
            status: response.status, headers: response.headers,
            body: AsyncThrowingStream { continuation in
                if !body.isEmpty { continuation.yield(body) }
                continuation.finish()
            })
    }
}

/// A response whose body is still arriving.
public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: AsyncThrowingStream<[UInt8], any Error>

    public init(status: Int, headers: [(name: String, value: String)], body: AsyncThrowingStream<[UInt8], any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Status and headers without the body.
    public var head: HTTPResponse { HTTPResponse(status: status, headers: headers) }

    /// The response with its body collected, for error answers (small XML documents).
    public func collected(upTo limit: Int = 1 << 20) async throws -> HTTPResponse {
        var bytes: [UInt8] = []
        for try await chunk in body {
            bytes += chunk
            if bytes.count > limit { break }
        }
        return HTTPResponse(status: status, headers: headers, body: bytes)
    }
}

public struct HTTPRequest: Sendable {
    public var method: String
    /// Absolute URL, already percent-encoded as it goes on the wire.
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// A body read as it is sent (a file), used instead of `body` when set.
    public var streamedBody: StreamedBody?

    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        streamedBody: StreamedBody? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.streamedBody = streamedBody
    }
}

extension HTTPRequest {
    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// A request body of known length produced chunk by chunk; `makeChunks` starts it afresh, so a
/// retried request sends it again from the beginning.
public struct StreamedBody: Sendable {
    public let length: Int
    public let makeChunks: @Sendable () -> AsyncThrowingStream<[UInt8], any Error>

    public init(length: Int, makeChunks: @escaping @Sendable () -> AsyncThrowingStream<[UInt8], any Error>) {
        self.length = length
        self.makeChunks = makeChunks
    }

    /// Every chunk joined, for transports that need the whole body.
    public func collect() async throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for try await chunk in makeChunks() { bytes += chunk }
        return bytes
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// No HTTP response: the connection failed, was reset, or the deadline passed.
public typealias HTTPTransportError = ClassifiedError<HTTPTransportErrorKind>

public enum HTTPTransportErrorKind: ErrorKind {
    case connectFailed
    case timedOut
    case connectionReset
    case other
}
