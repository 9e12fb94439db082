/// The token of the VM's (or GKE workload's) service account, from the metadata server.
public struct GCEMetadataTokenProvider: GCSTokenProvider {
    public static let defaultHost = "http://metadata.google.internal"
    public let host: String
    private let transport: any HTTPTransport
    private let timeout: Duration
    private let now: @Sendable () -> Int

    /// `host` may be overridden by `GCE_METADATA_HOST`, as Google's clients allow. The timeout is
    /// short: off Google Cloud the name does not resolve or nothing answers, and `archive_command`
    /// should learn that in seconds, not minutes.
    public init(
        host: String = GCEMetadataTokenProvider.defaultHost, transport: any HTTPTransport,
        timeout: Duration = .seconds(3), now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) {
        self.host = GCSConfiguration.normalizedEndpoint(host)
        self.transport = transport
        self.timeout = timeout
        self.now = now
    }

    public func token() async throws -> GCSAccessToken? {
        let request = HTTPRequest(
            method: "GET", url: host + "/computeMetadata/v1/instance/service-accounts/default/token",
            headers: [(name: "Metadata-Flavor", value: "Google")])
        let response: HTTPResponse
        do {
            response = try await RetryPolicy(maxAttempts: 2, deadline: .seconds(10)).run(
                isRetryable: GoogleOAuth.isRetryable
            ) {
                let response = try await transport.send(request, timeout: timeout, maxResponseBytes: 1 << 20)
                if response.status >= 500 { throw GoogleOAuth.RetryableStatus(response: response) }
                return response
            }
        } catch let status as GoogleOAuth.RetryableStatus {
            response = status.response
        } catch let error as HTTPTransportError {
            throw StorageError(
                .accessDenied,
                "No Google credentials: GOOGLE_APPLICATION_CREDENTIALS is not set and the GCE metadata server "
                    + "is not reachable (\(error.message))")
        }
        return try GoogleOAuth.parse(response, now: now(), source: "metadata server's service account token")
    }
}
