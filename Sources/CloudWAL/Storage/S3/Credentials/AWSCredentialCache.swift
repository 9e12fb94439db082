/// Keeps the credentials of another provider until 5 minutes (by default) before they expire, so
/// every S3 request does not call STS or a metadata service, and concurrent requests share one
/// refresh.
public struct AWSCredentialCache: AWSCredentialProvider {
    private let cache: ExpiringCache<AWSCredentials>

    /// `now` gives Unix seconds (injectable for tests); `refreshMargin` is how many seconds before
    /// expiry to fetch new credentials.
    public init(
        provider: any AWSCredentialProvider, refreshMargin: Int = 300,
        now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) {
        cache = ExpiringCache(
            refreshMargin: refreshMargin, now: now, expiry: { $0.expiration },
            fetch: { try await provider.credentials() })
    }

    public func credentials() async throws -> AWSCredentials {
        try await cache.value()
    }

    /// Forgets the cached credentials (after S3 answered `ExpiredToken`, for instance).
    public func invalidate() async {
        await cache.invalidate()
    }
}
