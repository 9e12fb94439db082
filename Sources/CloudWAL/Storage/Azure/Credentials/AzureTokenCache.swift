import Glibc

/// Keeps another provider's token until `refreshMargin` seconds (5 minutes by default) before it
/// expires; concurrent requests (parallel blocks) share one refresh.
public actor AzureTokenCache: AzureTokenProvider {
    private let provider: any AzureTokenProvider
    private let refreshMargin: Int
    private let now: @Sendable () -> Int
    private var cached: AzureAccessToken?
    private var refresh: Task<AzureAccessToken, any Error>?
    public nonisolated let sourceName: String

    public init(
        provider: any AzureTokenProvider, refreshMargin: Int = 300,
        now: @escaping @Sendable () -> Int = { Int(time(nil)) }
    ) {
        self.provider = provider
        self.refreshMargin = refreshMargin
        self.now = now
        sourceName = provider.sourceName
    }

    public func token() async throws -> AzureAccessToken {
        let time = now()
        if let cached, time < cached.expiresOn - refreshMargin { return cached }
        let task: Task<AzureAccessToken, any Error>
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
            // Inside the margin the old token still works; the next call tries again.
            if let cached, time < cached.expiresOn { return cached }
            throw error
        }
    }
}
