/// User credentials (`"type": "authorized_user"`, what `gcloud auth application-default login`
/// writes): the refresh token traded for an access token.
public struct AuthorizedUserTokenProvider: GCSTokenProvider {
    private let clientID: String
    private let clientSecret: String
    private let refreshToken: String
    public let tokenURI: String
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Int

    public init(
        clientID: String, clientSecret: String, refreshToken: String, tokenURI: String = GoogleOAuth.defaultTokenURI,
        transport: any HTTPTransport, now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
        self.tokenURI = tokenURI
        self.transport = transport
        self.now = now
    }

    public func token() async throws -> GCSAccessToken? {
        let time = now()
        return try await GoogleOAuth.exchange(
            [
                ("grant_type", "refresh_token"), ("client_id", clientID), ("client_secret", clientSecret),
                ("refresh_token", refreshToken),
            ],
            tokenURI: tokenURI, transport: transport, now: time, source: "user credentials' refresh token")
    }
}
