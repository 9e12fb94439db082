/// Keeps another provider's token until 5 minutes (by default) before it expires, so each request
/// does not sign a JWT or call the metadata server, and concurrent requests share one refresh.
public struct GCSTokenCache: GCSTokenProvider {
    private let cache: ExpiringCache<GCSAccessToken?>

    /// `now` gives Unix seconds (injectable for tests); `refreshMargin` is how many seconds before
    /// expiry to fetch a new token. A nil token (anonymous access to an emulator) never expires.
    public init(
        provider: any GCSTokenProvider, refreshMargin: Int = 300, now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) {
        cache = ExpiringCache(
            refreshMargin: refreshMargin, now: now, expiry: { $0?.expiration }, fetch: { try await provider.token() })
    }

    public func token() async throws -> GCSAccessToken? {
        try await cache.value()
    }

    /// Forgets the cached token (after the service refused it, for instance).
    public func invalidate() async {
        await cache.invalidate()
    }
}
