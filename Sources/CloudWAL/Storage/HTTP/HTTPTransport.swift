/// The seam between the cloud backends and the network: one request in, one response out.
///
/// Backends and credential providers speak through this protocol, so their logic is tested
/// with a scripted transport and the real client (AsyncHTTPClient) lives in one file.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and collects the whole response body (at most `maxResponseBytes`).
    /// Throws `HTTPTransportError` when no response arrived (refused, reset, timed out).
    func send(_ request: HTTPRequest, timeout: Duration, maxResponseBytes: Int) async throws -> HTTPResponse
}

public struct HTTPRequest: Sendable {
    public var method: String
    /// Absolute URL, already percent-encoded as it goes on the wire.
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
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
public struct HTTPTransportError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        case connectFailed
        case timedOut
        case connectionReset
        case other
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
