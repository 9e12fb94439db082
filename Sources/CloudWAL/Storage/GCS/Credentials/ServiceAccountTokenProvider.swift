/// A service account key file (`"type": "service_account"`): a JWT signed with its private key,
/// traded at its `token_uri` for an access token.
public struct ServiceAccountTokenProvider: GCSTokenProvider {
    public let clientEmail: String
    private let privateKeyPEM: String
    public let tokenURI: String
    public let scope: String
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Int

    public init(
        clientEmail: String, privateKeyPEM: String, tokenURI: String = GoogleOAuth.defaultTokenURI,
        scope: String = GoogleJWT.readWriteScope, transport: any HTTPTransport,
        now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) {
        self.clientEmail = clientEmail
        self.privateKeyPEM = privateKeyPEM
        self.tokenURI = tokenURI
        self.scope = scope
        self.transport = transport
        self.now = now
    }

    public func token() async throws -> GCSAccessToken? {
        let time = now()
        let assertion = try GoogleJWT.assertion(
            clientEmail: clientEmail, privateKeyPEM: privateKeyPEM, tokenURI: tokenURI, scope: scope, issuedAt: time)
        return try await GoogleOAuth.exchange(
            [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)],
            tokenURI: tokenURI, transport: transport, now: time, source: "service account \(clientEmail)")
    }
}
