import CloudWAL
import Testing

/// The request executor's decisions, without a network: every path of `RetryStateMachine`.
@Suite("Retry decisions of the request executor")
struct RetryStateMachineTests {
    static let start = ContinuousClock.now
    static let policy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(100), maxDelay: .seconds(2), deadline: .seconds(30))
    static let throttled = StorageError(.unreachable, "HTTP 503 SlowDown")

    func machine(_ policy: RetryPolicy = Self.policy) -> RetryStateMachine {
        RetryStateMachine(policy: policy, subject: "S3 for s3://b/k", start: Self.start)
    }

    @Test func acceptsAtOnce() {
        var machine = machine()
        #expect(machine.record(.response(.accept), at: Self.start, jitter: 0.5) == .accept)
        #expect(machine.attempts == 1)
    }

    @Test func retriesThrottlingUntilTheAttemptCapThenFailsWithTheServersError() {
        var machine = machine()
        for attempt in 1..<4 {
            guard case .retry(let pause) = machine.record(.response(.retry(Self.throttled)), at: Self.start, jitter: 1) else {
                Issue.record("attempt \(attempt) should be retried")
                return
            }
            // Full jitter with jitter 1 is the ceiling: 100 ms, 200 ms, 400 ms.
            #expect(pause == .milliseconds(100 << (attempt - 1)))
        }
        #expect(machine.record(.response(.retry(Self.throttled)), at: Self.start, jitter: 1) == .fail(Self.throttled))
    }

    @Test func noAttemptStartsPastTheDeadline() {
        var machine = machine()
        let late = Self.start + .seconds(29) + .milliseconds(950)
        #expect(machine.record(.response(.retry(Self.throttled)), at: late, jitter: 1) == .fail(Self.throttled))
    }

    @Test func resetsAndTimeoutsAreRetriedAsUnreachable() {
        var machine = machine(RetryPolicy(maxAttempts: 2, deadline: .seconds(30)))
        let reset = HTTPTransportError(.connectionReset, "127.0.0.1:9000 closed the connection")
        guard case .retry = machine.record(.transportFailure(reset), at: Self.start, jitter: 0) else {
            Issue.record("a reset must be retried")
            return
        }
        let timeout = HTTPTransportError(.timedOut, "Timed out talking to 127.0.0.1:9000")
        guard case .fail(let error) = machine.record(.transportFailure(timeout), at: Self.start, jitter: 0) else {
            Issue.record("the attempt cap must end it")
            return
        }
        #expect(error.kind == .unreachable)
        #expect(error.message.contains("S3 for s3://b/k"))
    }

    @Test func protocolAndTLSFailuresAreNotRetried() {
        var machine = machine()
        let tls = HTTPTransportError(.other, "TLS with host failed: certificate verify failed")
        guard case .fail(let error) = machine.record(.transportFailure(tls), at: Self.start, jitter: 0) else {
            Issue.record("a TLS refusal must not be retried")
            return
        }
        #expect(error.kind == .unreachable)
    }

    @Test func aRegionRedirectIsFollowedAtOnceWithoutCostingAnAttempt() {
        var machine = machine(RetryPolicy(maxAttempts: 1))
        #expect(machine.record(.response(.redirect(region: "eu-west-1")), at: Self.start, jitter: 1) == .retry(after: .zero))
        #expect(machine.region == "eu-west-1")
        #expect(machine.record(.response(.accept), at: Self.start, jitter: 1) == .accept)
    }

    @Test func aBucketThatKeepsMovingIsAnError() {
        var machine = machine()
        _ = machine.record(.response(.redirect(region: "eu-west-1")), at: Self.start, jitter: 0)
        guard case .fail(let error) = machine.record(.response(.redirect(region: "eu-west-1")), at: Self.start, jitter: 0) else {
            Issue.record("a redirect to the region already used must fail")
            return
        }
        #expect(error.kind == .invalidRequest)
    }

    @Test func retryAfterIsHonouredUpToTheLongestPause() {
        var machine = machine()
        let asked = machine.record(.response(.retry(Self.throttled, after: .seconds(1))), at: Self.start, jitter: 0)
        #expect(asked == .retry(after: .seconds(1)))
        let capped = machine.record(.response(.retry(Self.throttled, after: .seconds(60))), at: Self.start, jitter: 0)
        #expect(capped == .retry(after: .seconds(2)))
    }

    @Test func finalAnswersAreNotRetried() {
        var machine = machine()
        let denied = StorageError(.accessDenied, "Access denied")
        #expect(machine.record(.response(.fail(denied)), at: Self.start, jitter: 0) == .fail(denied))
    }
}
