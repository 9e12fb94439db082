/// Holds a value that expires (credentials, bearer tokens) until `refreshMargin` seconds before
/// its expiry, so every request does not call a token service, and concurrent requests (parallel
/// blocks or parts) share one refresh.
public actor ExpiringCache<Value: Sendable> {
    private let refreshMargin: Int
    private let now: @Sendable () -> Int
    private let expiry: @Sendable (Value) -> Int?
    private let fetch: @Sendable () async throws -> Value
    private var cached: Value?
    private var refresh: Task<Value, any Error>?

    /// `expiry` gives a value's expiry in Unix seconds (nil: never expires); `now` is injectable
    /// for tests.
    public init(
        refreshMargin: Int = 300, now: @escaping @Sendable () -> Int,
        expiry: @escaping @Sendable (Value) -> Int?, fetch: @escaping @Sendable () async throws -> Value
    ) {
        self.refreshMargin = refreshMargin
        self.now = now
        self.expiry = expiry
        self.fetch = fetch
    }

    public func value() async throws -> Value {
        let time = now()
        if let cached, !needsRefresh(cached, at: time) { return cached }
        let task: Task<Value, any Error>
        if let refresh {
            task = refresh
        } else {
            let fetch = self.fetch
            task = Task { try await fetch() }
            refresh = task
        }
        do {
            let fresh = try await task.value
            if refresh == task {
                refresh = nil
                cached = fresh
            }
            return fresh
        } catch {
            if refresh == task { refresh = nil }
            // Inside the margin the old value still works: a failed early refresh is not worth
            // failing a request for; the next call tries again.
            if let cached, let expiration = expiry(cached), time < expiration { return cached }
            throw error
        }
    }

    /// Forgets the cached value (after the service refused it, for instance).
    public func invalidate() {
        cached = nil
    }

    private func needsRefresh(_ value: Value, at time: Int) -> Bool {
        guard let expiration = expiry(value) else { return false }
        return time >= expiration - refreshMargin
    }
}
