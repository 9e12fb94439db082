/// Keeps another provider's token until 5 minutes (by default) before it expires, so each request
/// does not sign a JWT or call the metadata server, and concurrent requests share one refresh.
public actor GCSTokenCache: GCSTokenProvider {
    private let provider: any GCSTokenProvider
    private let refreshMargin: Int
    private let now: @Sendable () -> Int
    private var cached: GCSAccessToken?
    private var refresh: Task<GCSAccessToken?, any Error>?

    /// `now` gives Unix seconds (injectable for tests); `refreshMargin` is how many seconds before
    /// expiry to fetch a new token.
    public init(
        provider: any GCSTokenProvider, refreshMargin: Int = 300, now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) {
        self.provider = provider
        self.refreshMargin = refreshMargin
        self.now = now
    }

    public func token() async throws -> GCSAccessToken? {
        let time = now()
        if let cached, !needsRefresh(cached, at: time) { return cached }
        let task: Task<GCSAccessToken?, any Error>
        if let refresh {
            task = refresh
        } else {
            let provider = self.provider
            task = Task { try await provider.token() }
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
            // Inside the margin the old token still works: a failed early refresh is not worth
            // failing a request for; the next call tries again.
            if let cached, let expiration = cached.expiration, time < expiration { return cached }
            throw error
        }
    }

    /// Forgets the cached token (after Google answered 401, for instance).
    public func invalidate() {
        cached = nil
    }

    private func needsRefresh(_ token: GCSAccessToken, at time: Int) -> Bool {
        guard let expiration = token.expiration else { return false }
        return time >= expiration - refreshMargin
    }
}
