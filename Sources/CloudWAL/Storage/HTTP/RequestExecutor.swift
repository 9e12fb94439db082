/// Sends a cloud request until it succeeds, fails for good, or runs out of attempts or time: the
/// one retry loop of every HTTP backend (S3, Azure, GCS).
///
/// Per attempt the driver builds (and signs) the request and classifies the response; what
/// happens next is `RetryStateMachine`'s decision. Each attempt is bounded by `attemptTimeout`
/// until the response head, and the transport bounds the idle time between body bytes.
public struct RequestExecutor: Sendable {
    public let transport: any HTTPTransport
    public let retry: RetryPolicy
    /// How long one attempt may wait for the response head (`--read-timeout`).
    public let attemptTimeout: Duration

    public init(transport: any HTTPTransport, retry: RetryPolicy, attemptTimeout: Duration) {
        self.transport = transport
        self.retry = retry
        self.attemptTimeout = attemptTimeout
    }

    /// What the request builder is told about the attempt it builds.
    public struct Attempt: Sendable {
        /// 1 for the first attempt.
        public let number: Int
        /// The region a redirect asked for (S3), else nil.
        public let region: String?
    }

    /// Sends and collects the whole response (at most `maxResponseBytes`).
    public func send(
        _ subject: String, maxResponseBytes: Int = 1 << 30,
        build: (Attempt) async throws -> HTTPRequest,
        classify: (HTTPResponse, Attempt) -> ResponseDecision
    ) async throws -> HTTPResponse {
        try await run(subject) { attempt in
            let response = try await transport.send(
                try await build(attempt), timeout: attemptTimeout, maxResponseBytes: maxResponseBytes)
            return (classify(response, attempt), response)
        }
    }

    /// Sends and returns once the head is in; the body streams. An error answer (3xx and above)
    /// is collected first so that the driver can classify it by its code.
    public func stream(
        _ subject: String,
        build: (Attempt) async throws -> HTTPRequest,
        classify: (HTTPResponse, Attempt) -> ResponseDecision
    ) async throws -> HTTPStreamingResponse {
        try await run(subject) { attempt in
            let response = try await transport.stream(try await build(attempt), timeout: attemptTimeout)
            guard response.status >= 300 else { return (classify(response.head, attempt), response) }
            let collected = try await response.collected()
            let body = collected.body
            let replay = HTTPStreamingResponse(
                status: collected.status, headers: collected.headers,
                body: AsyncThrowingStream { continuation in
                    if !body.isEmpty { continuation.yield(body) }
                    continuation.finish()
                })
            return (classify(collected, attempt), replay)
        }
    }

    private func run<Response: Sendable>(
        _ subject: String, _ attempt: (Attempt) async throws -> (ResponseDecision, Response)
    ) async throws -> Response {
        var machine = RetryStateMachine(policy: retry, subject: subject, start: .now)
        while true {
            let outcome: RetryStateMachine.Outcome
            var response: Response?
            do {
                let (decision, answer) = try await attempt(Attempt(number: machine.attempts + 1, region: machine.region))
                outcome = .response(decision)
                response = answer
            } catch let error as HTTPTransportError {
                outcome = .transportFailure(error)
            }
            switch machine.record(outcome, at: .now, jitter: Double.random(in: 0...1)) {
            case .accept:
                if let response { return response }
                throw StorageError(.failed, "\(subject): accepted without a response")
            case .retry(let pause):
                if pause > .zero { try await Task.sleep(for: pause) }
            case .fail(let error):
                throw error
            }
        }
    }
}
