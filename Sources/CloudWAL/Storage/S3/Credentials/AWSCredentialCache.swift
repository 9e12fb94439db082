/// Keeps the credentials of another provider until 5 minutes (by default) before they expire, so
/// every S3 request does not call STS or a metadata service, and concurrent requests share one
/// refresh.
public actor AWSCredentialCache: AWSCredentialProvider {
    private let provider: any AWSCredentialProvider
    private let refreshMargin: Int
    private let now: @Sendable () -> Int
    private var cached: AWSCredentials?
    private var refresh: Task<AWSCredentials, any Error>?

    /// `now` gives Unix seconds (injectable for tests); `refreshMargin` is how many seconds before
    /// expiry to fetch new credentials.
    public init(
        provider: any AWSCredentialProvider, refreshMargin: Int = 300,
        now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) {
        self.provider = provider
        self.refreshMargin = refreshMargin
        self.now = now
    }

    public func credentials() async throws -> AWSCredentials {
        let time = now()
        if let cached, !needsRefresh(cached, at: time) { return cached }
        let task: Task<AWSCredentials, any Error>
        if let refresh {
            task = refresh
        } else {
            let provider = self.provider
            task = Task { try await provider.credentials() }
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
            // Inside the margin the old credentials still work: a failed early refresh is not
            // worth failing a request for; the next call tries again.
            if let cached, let expiration = cached.expiration, time < expiration { return cached }
            throw error
        }
    }

    /// Forgets the cached credentials (after S3 answered `ExpiredToken`, for instance).
    public func invalidate() {
        cached = nil
    }

    private func needsRefresh(_ credentials: AWSCredentials, at time: Int) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return time >= expiration - refreshMargin
    }
}
