import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 exchange over a plain socket, with the request target sent byte for byte.
///
/// Client libraries normalise paths (`/a/../b` becomes `/b`) and encode what they think needs
/// it, which would hide exactly the traversal attempts the sidecar tests must send.
enum RawHTTP {
    struct Reply: Sendable {
        let status: Int
        /// Header names lower-cased.
        let headers: [String: String]
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Where to connect: 127.0.0.1:port, or a UNIX socket.
    enum Endpoint: Sendable, CustomStringConvertible {
        case tcp(Int)
        case unix(String)

        var description: String {
            switch self {
            case .tcp(let port): "127.0.0.1:\(port)"
            case .unix(let path): "unix:\(path)"
            }
        }

        var host: String {
            switch self {
            case .tcp(let port): "127.0.0.1:\(port)"
            case .unix: "localhost"
            }
        }
    }

    static func request(
        port: Int, method: String = "GET", target: String, headers: [String: String] = [:],
        timeout: Duration = .seconds(120)
    ) async throws -> Reply {
        try await request(.tcp(port), method: method, target: target, headers: headers, timeout: timeout)
    }

    static func request(
        _ endpoint: Endpoint, method: String = "GET", target: String, headers: [String: String] = [:],
        timeout: Duration = .seconds(120)
    ) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            // A thread of its own: the exchange blocks, and 64 of them run at once in the burst test.
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    try exchange(endpoint, method: method, target: target, headers: headers, timeout: timeout)
                })
            }
        }
    }

    /// A connected blocking socket with a receive timeout; the caller closes it.
    static func connectSocket(_ endpoint: Endpoint, timeout: Duration) throws -> Int32 {
        let fd: Int32
        switch endpoint {
        case .tcp: fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        case .unix: fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        }
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let connected: Int32
        switch endpoint {
        case .tcp(let port):
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .unix(let path):
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                close(fd)
                throw HarnessError("socket path too long: \(path)")
            }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw HarnessError("connect \(endpoint) failed: errno \(code)")
        }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw HarnessError("send failed: errno \(errno)") }
            sent += count
        }
    }

    private static func exchange(
        _ endpoint: Endpoint, method: String, target: String, headers: [String: String], timeout: Duration
    ) throws -> Reply {
        let fd = try connectSocket(endpoint, timeout: timeout)
        defer { close(fd) }
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(endpoint.host)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: 0\r\n\r\n"
        try sendAll(fd, Array(text.utf8))
        return try parse(try readToEnd(fd, endpoint: endpoint, timeout: timeout))
    }

    /// Everything the peer sends until it closes.
    static func readToEnd(_ fd: Int32, endpoint: Endpoint, timeout: Duration) throws -> [UInt8] {
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw HarnessError("recv from \(endpoint) failed: errno \(errno) (timeout \(timeout)?)")
            }
            response += buffer[..<count]
        }
        return response
    }

    static func parse(_ response: [UInt8]) throws -> Reply {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, response.count - 3)).first(where: { Array(response[$0..<$0 + 4]) == separator }) else {
            throw HarnessError("no complete HTTP header in \(response.count) bytes")
        }
        let head = String(decoding: response[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw HarnessError("bad status line: \(head.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(response[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        return Reply(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < data.count {
            guard let lineEnd = (index..<data.count - 1).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }),
                  let size = Int(String(decoding: data[index..<lineEnd], as: UTF8.self), radix: 16)
            else { throw HarnessError("bad chunked body") }
            if size == 0 { break }
            out += data[(lineEnd + 2)..<(lineEnd + 2 + size)]
            index = lineEnd + 2 + size + 2
        }
        return out
    }
}

/// A connection the test holds open and feeds by hand: the slow and idle clients of the
/// slowloris and connection-cap tests. Used from one task at a time.
final class HeldConnection: @unchecked Sendable {
    let endpoint: RawHTTP.Endpoint
    private let fd: Int32
    private var closed = false

    init(_ endpoint: RawHTTP.Endpoint) throws {
        self.endpoint = endpoint
        // Reads poll in short steps so `waitForClose` can give up at its own deadline.
        fd = try RawHTTP.connectSocket(endpoint, timeout: .milliseconds(200))
    }

    deinit { if !closed { Glibc.close(fd) } }

    /// Sends `text`; false once the server has closed (EPIPE/ECONNRESET).
    @discardableResult
    func send(_ text: String) -> Bool {
        guard !closed else { return false }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// One keep-alive request on this connection and its reply, read to its Content-Length; the
    /// connection stays open afterwards.
    func exchange(_ target: String, headers: [String: String] = [:], timeout: Duration = .seconds(30)) async throws
        -> RawHTTP.Reply
    {
        var text = "GET \(target) HTTP/1.1\r\nHost: \(endpoint.host)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        guard send(text) else { throw HarnessError("send to \(endpoint) failed: errno \(errno)") }
        let fd = self.fd
        let endpoint = self.endpoint
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    let deadline = ContinuousClock.now + timeout
                    var received: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    while ContinuousClock.now < deadline {
                        if let reply = try? RawHTTP.parse(received),
                           let length = Int(reply.headers["content-length"] ?? ""), reply.body.count >= length {
                            return reply
                        }
                        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                        if count > 0 { received += buffer[..<count] } else if count == 0 { break }
                    }
                    throw HarnessError("no complete reply from \(endpoint) within \(timeout) (\(received.count) bytes)")
                })
            }
        }
    }

    /// Waits until the server closes the connection (EOF or reset); the bytes it sent before,
    /// or nil when it was still open at `timeout`.
    func waitForClose(timeout: Duration) async -> [UInt8]? {
        let fd = self.fd
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let deadline = ContinuousClock.now + timeout
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while ContinuousClock.now < deadline {
                    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if count > 0 {
                        received += buffer[..<count]
                        continue
                    }
                    if count == 0 || errno == ECONNRESET {
                        continuation.resume(returning: received)
                        return
                    }
                    // EAGAIN: the 200 ms receive timeout; EINTR: again.
                }
                continuation.resume(returning: nil)
            }
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}
