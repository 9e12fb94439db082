/// The decisions of one retried request, as a value: fed each attempt's outcome, it says whether to
/// hand the response over, wait and try again, or give up, and with which error.
///
/// It does no I/O and reads no clock of its own, so every path (throttling until the deadline, a
/// region redirect, a reset, an attempt cap) is tested without a network, as AsyncHTTPClient tests
/// its connection state machines.
public struct RetryStateMachine: Sendable {
    /// What one attempt produced.
    public enum Outcome: Sendable {
        /// A response arrived and the driver classified it.
        case response(ResponseDecision)
        /// No complete response: refused, reset, timed out.
        case transportFailure(HTTPTransportError)
    }

    public enum Action: Sendable, Equatable {
        /// Hand the response to the caller.
        case accept
        /// Wait this long, then make the next attempt.
        case retry(after: Duration)
        /// Give up with this error.
        case fail(StorageError)
    }

    public let policy: RetryPolicy
    /// Says, in an error, what was being done: "S3 for s3://bucket/key".
    public let subject: String
    private let start: ContinuousClock.Instant
    /// Attempts made so far, counting the one whose outcome is being recorded.
    public private(set) var attempts = 0
    /// Set by a `.redirect`: the region the next attempt must sign for.
    public private(set) var region: String?
    private var redirects = 0

    /// Redirects are followed at once and at most this often: a region that keeps changing is a bug.
    static let maxRedirects = 2

    public init(policy: RetryPolicy, subject: String, start: ContinuousClock.Instant) {
        self.policy = policy
        self.subject = subject
        self.start = start
    }

    /// Records the outcome of the attempt that just ended. `jitter` (0...1) picks the pause within
    /// the backoff ceiling, so concurrent archivers do not retry in step.
    public mutating func record(_ outcome: Outcome, at now: ContinuousClock.Instant, jitter: Double) -> Action {
        attempts += 1
        let lastError: StorageError
        var serverDelay: Duration?
        switch outcome {
        case .response(.accept):
            return .accept
        case .response(.fail(let error)):
            return .fail(error)
        case .response(.redirect(let newRegion)):
            guard redirects < Self.maxRedirects, newRegion != region else {
                return .fail(StorageError(.invalidRequest, "\(subject): the bucket keeps moving between regions (now \(newRegion))"))
            }
            redirects += 1
            attempts -= 1
            region = newRegion
            return .retry(after: .zero)
        case .response(.retry(let error, let after)):
            lastError = error
            serverDelay = after
        case .transportFailure(let error):
            lastError = StorageError(.unreachable, "Cannot reach \(subject): \(error.message)")
            // TLS and protocol errors will not mend themselves; refused, reset and slow connections may.
            guard error.kind != .other else { return .fail(lastError) }
        }
        let pause = max(backoff(jitter: jitter), min(serverDelay ?? .zero, policy.maxDelay))
        guard attempts < policy.maxAttempts, now + pause - start < policy.deadline else {
            return .fail(lastError)
        }
        return .retry(after: pause)
    }

    /// Full jitter: uniformly within `min(maxDelay, baseDelay * 2^(attempts-1))`.
    private func backoff(jitter: Double) -> Duration {
        let ceiling = policy.delayCeiling(afterAttempt: attempts)
        return ceiling * min(max(jitter, 0), 1)
    }
}
