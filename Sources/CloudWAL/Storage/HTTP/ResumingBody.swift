/// A download's body that survives a cut connection: when the transport fails in mid-body, or the
/// body ends before its declared length, the rest is asked for again from where it stopped
/// (`Range: bytes=N-`, conditional on the same object version), within the request's retry policy.
///
/// Retried or not, the reader above sees one unbroken byte stream or an error; it still verifies
/// the whole (checksum, codec, size), so a resumed download never yields a file it has not proven.
/// When the attempts or the deadline run out, the failure is "unreachable" (retry later), never a
/// short, apparently complete object.
///
/// `@unchecked Sendable`: the stream's consumer calls `next()` serially, never concurrently.
final class ResumingBody: @unchecked Sendable {
    /// Opens the object again from `offset`; the driver adds its own validator (ETag, generation).
    typealias Reopen = @Sendable (_ offset: Int) async throws -> HTTPStreamingResponse

    private var iterator: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
    private var received = 0
    private let expectedLength: Int?
    private let reopen: Reopen
    private var machine: RetryStateMachine
    private let location: String

    init(first: HTTPStreamingResponse, policy: RetryPolicy, location: String, reopen: @escaping Reopen) {
        iterator = first.body.makeAsyncIterator()
        expectedLength = first.header("Content-Length").flatMap(Int.init)
        self.reopen = reopen
        self.location = location
        machine = RetryStateMachine(policy: policy, subject: "the storage for \(location)", start: .now)
    }

    /// The stream a store's `get` hands out.
    static func stream(
        first: HTTPStreamingResponse, policy: RetryPolicy, location: String, reopen: @escaping Reopen
    ) -> AsyncThrowingStream<[UInt8], any Error> {
        let body = ResumingBody(first: first, policy: policy, location: location, reopen: reopen)
        return AsyncThrowingStream { try await body.next() }
    }

    func next() async throws -> [UInt8]? {
        while true {
            let failure: HTTPTransportError
            do {
                if let chunk = try await iterator.next() {
                    received += chunk.count
                    return chunk
                }
                guard let expectedLength, received < expectedLength else { return nil }
                failure = HTTPTransportError(
                    .connectionReset, "the body ended after \(received) of \(expectedLength) bytes")
            } catch let error as HTTPTransportError {
                failure = error
            }
            switch machine.record(.transportFailure(failure), at: .now, jitter: Double.random(in: 0...1)) {
            case .accept:
                return nil
            case .fail(let error):
                throw StorageError(error.kind, "Download of \(location) failed after \(received) bytes: \(failure.message)")
            case .retry(let pause):
                if pause > .zero { try await Task.sleep(for: pause) }
                try await resume()
            }
        }
    }

    /// Asks for the rest; only a 206 that starts exactly where we stopped continues the stream.
    private func resume() async throws {
        let response = try await reopen(received)
        guard response.status == 206 else {
            if response.status == 412 {
                throw StorageError(.failed, "\(location) was replaced while it was being read")
            }
            throw StorageError(.failed, "\(location): resuming the download at byte \(received) got HTTP \(response.status)")
        }
        guard let range = response.header("Content-Range"), range.hasPrefix("bytes \(received)-") else {
            throw StorageError(.failed, "\(location): resuming at byte \(received) got another range")
        }
        iterator = response.body.makeAsyncIterator()
    }
}

extension HTTPStreamingResponse {
    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
