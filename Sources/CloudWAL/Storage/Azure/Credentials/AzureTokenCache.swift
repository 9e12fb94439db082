import Glibc

/// Keeps another provider's token until `refreshMargin` seconds (5 minutes by default) before it
/// expires; concurrent requests (parallel blocks) share one refresh.
public struct AzureTokenCache: AzureTokenProvider {
    private let cache: ExpiringCache<AzureAccessToken>
    public let sourceName: String

    public init(
        provider: any AzureTokenProvider, refreshMargin: Int = 300,
        now: @escaping @Sendable () -> Int = { Int(time(nil)) }
    ) {
        cache = ExpiringCache(
            refreshMargin: refreshMargin, now: now, expiry: { $0.expiresOn }, fetch: { try await provider.token() })
        sourceName = provider.sourceName
    }

    public func token() async throws -> AzureAccessToken {
        try await cache.value()
    }
}
