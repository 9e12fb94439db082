/// The `multipart/related` body of a JSON API multipart upload: the object resource as JSON,
/// then the bytes, between boundaries.
struct GCSMultipartBody: Sendable {
    let boundary: String
    let head: [UInt8]
    let tail: [UInt8]

    /// The boundary is random (128 bits), so it cannot plausibly occur inside the object's bytes.
    init(json: String, boundary: String = "cloudwal-" + GCSMultipartBody.randomHex()) {
        self.boundary = boundary
        head = Array(
            ("--\(boundary)\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n\(json)\r\n"
                + "--\(boundary)\r\nContent-Type: application/octet-stream\r\n\r\n").utf8)
        tail = Array("\r\n--\(boundary)--\r\n".utf8)
    }

    var contentType: String { "multipart/related; boundary=\(boundary)" }

    func length(bodyLength: Int) -> Int { head.count + bodyLength + tail.count }

    func assemble(_ body: [UInt8]) -> [UInt8] {
        var out = head
        out.reserveCapacity(length(bodyLength: body.count))
        out += body
        out += tail
        return out
    }

    /// Head, then `body`'s chunks as they come, then tail.
    func stream(_ body: AsyncThrowingStream<[UInt8], any Error>) -> AsyncThrowingStream<[UInt8], any Error> {
        let parts = Parts(head: head, body: body, tail: tail)
        return AsyncThrowingStream { try await parts.next() }
    }

    static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
    }

    /// `@unchecked Sendable`: the stream's consumer calls `next()` serially, never concurrently.
    private final class Parts: @unchecked Sendable {
        private var stage = 0
        private let head: [UInt8]
        private var body: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        private let tail: [UInt8]

        init(head: [UInt8], body: AsyncThrowingStream<[UInt8], any Error>, tail: [UInt8]) {
            self.head = head
            self.body = body.makeAsyncIterator()
            self.tail = tail
        }

        func next() async throws -> [UInt8]? {
            switch stage {
            case 0:
                stage = 1
                return head
            case 1:
                if let chunk = try await body.next() { return chunk }
                stage = 2
                return tail
            default:
                return nil
            }
        }
    }
}
