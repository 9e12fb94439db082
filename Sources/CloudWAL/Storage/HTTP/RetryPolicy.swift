/// When and how long to wait before trying a request again: exponential backoff with full
/// jitter, bounded by both an attempt count and an overall deadline, so a call that
/// `archive_command` makes always ends and a brief outage does not fail it.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// No new attempt starts after this much time since the first one.
    public var deadline: Duration

    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(5),
        deadline: Duration = .seconds(120)
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.deadline = deadline
    }

    /// No retries at all (tests of single-shot behaviour, `-t`).
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The longest pause before attempt `attempt + 1` (attempt counts from 1):
    /// `min(maxDelay, baseDelay * 2^(attempt-1))`.
    public func delayCeiling(afterAttempt attempt: Int) -> Duration {
        min(maxDelay, baseDelay * (1 << min(max(attempt - 1, 0), 20)))
    }

    /// The pause before attempt `attempt + 1`: uniformly random up to the ceiling, so concurrent
    /// archivers do not retry in step.
    public func delay(afterAttempt attempt: Int) -> Duration {
        delayCeiling(afterAttempt: attempt) * Double.random(in: 0...1)
    }

    /// Runs `operation`, retrying while it throws an error `isRetryable` accepts.
    public func run<T: Sendable>(
        isRetryable: (any Error) -> Bool, _ operation: () async throws -> T
    ) async throws -> T {
        let start = ContinuousClock.now
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch {
                let pause = delay(afterAttempt: attempt)
                guard attempt < maxAttempts, isRetryable(error),
                    ContinuousClock.now + pause - start < deadline
                else { throw error }
                try await Task.sleep(for: pause)
                attempt += 1
            }
        }
    }
}
