import CloudWAL
import Foundation
import Testing
import _CryptoExtras

/// A clock tests move by hand.
final class GCSTestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int
    init(_ value: Int) { self.value = value }
    var now: Int { lock.withLock { value } }
    func advance(_ seconds: Int) { lock.withLock { value += seconds } }
}

/// Counts how often it is asked, answering with tokens that expire an hour after `clock`.
actor CountingTokenProvider: GCSTokenProvider {
    private(set) var calls = 0
    let clock: GCSTestClock
    init(clock: GCSTestClock) { self.clock = clock }
    func token() async throws -> GCSAccessToken? {
        calls += 1
        return GCSAccessToken(value: "token-\(calls)", expiration: clock.now + 3600)
    }
}

@Suite("GCS credentials")
struct GCSCredentialTests {
    static let email = "archiver@project.iam.gserviceaccount.com"

    static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    @Test func jwtHasGoogleClaimsAndVerifiesWithThePublicKey() throws {
        let jwt = try GoogleJWT.assertion(
            clientEmail: Self.email, privateKeyPEM: GCSTestKey.privatePEM, tokenURI: "https://oauth2.googleapis.com/token",
            issuedAt: 1_700_000_000)
        let parts = jwt.split(separator: ".")
        try #require(parts.count == 3)
        #expect(!jwt.contains("=") && !jwt.contains("+") && !jwt.contains("/"))
        let headerData = try #require(Self.base64URLDecode(parts[0]))
        let claimsData = try #require(Self.base64URLDecode(parts[1]))
        let signatureData = try #require(Self.base64URLDecode(parts[2]))
        let header = try #require(try JSONSerialization.jsonObject(with: headerData) as? [String: String])
        #expect(header == ["alg": "RS256", "typ": "JWT"])
        let claims = try #require(try JSONSerialization.jsonObject(with: claimsData) as? [String: Any])
        #expect(claims["iss"] as? String == Self.email)
        #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/devstorage.read_write")
        #expect(claims["aud"] as? String == "https://oauth2.googleapis.com/token")
        #expect(claims["iat"] as? Int == 1_700_000_000)
        #expect(claims["exp"] as? Int == 1_700_003_600)

        let publicKey = try _RSA.Signing.PublicKey(pemRepresentation: GCSTestKey.publicPEM)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureData)
        let signed = Data("\(parts[0]).\(parts[1])".utf8)
        #expect(publicKey.isValidSignature(signature, for: signed, padding: .insecurePKCS1v1_5))
        #expect(!publicKey.isValidSignature(signature, for: Data("\(parts[0]).x".utf8), padding: .insecurePKCS1v1_5))
    }

    @Test func badPrivateKeyIsRefusedWithoutQuotingIt() {
        let secret = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n"
        let error = #expect(throws: StorageError.self) {
            _ = try GoogleJWT.assertion(clientEmail: Self.email, privateKeyPEM: secret, tokenURI: "https://t", issuedAt: 0)
        }
        #expect(error?.kind == .accessDenied)
        #expect(error?.message.contains("c2VjcmV0") == false)
    }

    @Test func serviceAccountKeyFileTradesAJWTForAToken() async throws {
        let keyFile = try String(
            decoding: JSONSerialization.data(withJSONObject: [
                "type": "service_account", "client_email": Self.email, "private_key": GCSTestKey.privatePEM,
                "token_uri": "http://127.0.0.1:9/token", "project_id": "p",
            ]), as: UTF8.self)
        let transport = ScriptedTransport(collectingStreamedBodies: true, [GCSStoreTests.ok(#"{"access_token":"ya29.abc","expires_in":3599,"token_type":"Bearer"}"#)])
        let provider = try GCSCredentialChain.keyFile(keyFile, path: "key.json", transport: transport, now: { 1_700_000_000 })
        let token = try #require(try await provider.token())
        #expect(token == GCSAccessToken(value: "ya29.abc", expiration: 1_700_003_599))
        #expect(!"\(token)".contains("ya29"))
        let request = try #require(await transport.requests.first)
        #expect(request.method == "POST" && request.url == "http://127.0.0.1:9/token")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(request.text.hasPrefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="))
        let assertion = String(request.text.split(separator: "=", maxSplits: 2)[2])
        #expect(assertion.split(separator: ".").count == 3)
    }

    @Test func authorizedUserRefreshesAndRefusalsStayOneSecretFreeLine() async throws {
        let keyFile = #"{"type":"authorized_user","client_id":"cid","client_secret":"csecret","refresh_token":"1//refresh-secret"}"#
        let transport = ScriptedTransport(collectingStreamedBodies: true, [
            GCSStoreTests.ok(#"{"access_token":"ya29.user","expires_in":"3600"}"#),
            GCSStoreTests.status(400, #"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#),
        ])
        let provider = try GCSCredentialChain.keyFile(keyFile, path: "adc.json", transport: transport, now: { 100 })
        #expect(try await provider.token() == GCSAccessToken(value: "ya29.user", expiration: 3700))
        let request = try #require(await transport.requests.first)
        #expect(request.url == "https://oauth2.googleapis.com/token")
        #expect(request.text == "grant_type=refresh_token&client_id=cid&client_secret=csecret&refresh_token=1%2F%2Frefresh-secret")
        let error = await #expect(throws: StorageError.self) { _ = try await provider.token() }
        #expect(error?.kind == .accessDenied)
        #expect(error?.message.contains("invalid_grant") == true)
        #expect(error?.message.contains("refresh-secret") == false && error?.message.contains("csecret") == false)
    }

    @Test func unsupportedOrBrokenKeyFiles() {
        for text in [#"{"type":"external_account"}"#, "not json", #"{"type":"service_account","client_email":"x"}"#] {
            let error = #expect(throws: StorageError.self) {
                _ = try GCSCredentialChain.keyFile(text, path: "k.json", transport: ScriptedTransport(collectingStreamedBodies: true, []))
            }
            #expect(error?.kind == .accessDenied)
        }
    }

    @Test func metadataServerIsAskedWithTheFlavorHeader() async throws {
        let transport = ScriptedTransport(collectingStreamedBodies: true, [GCSStoreTests.ok(#"{"access_token":"ya29.vm","expires_in":1800,"token_type":"Bearer"}"#)])
        let provider = GCEMetadataTokenProvider(host: "169.254.169.254", transport: transport, now: { 10 })
        #expect(try await provider.token() == GCSAccessToken(value: "ya29.vm", expiration: 1810))
        let request = try #require(await transport.requests.first)
        #expect(request.url == "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token")
        #expect(request.header("Metadata-Flavor") == "Google")
    }

    @Test func chainChoosesEmulatorThenKeyFileThenRefusesWithoutGCE() async throws {
        let transport = ScriptedTransport(collectingStreamedBodies: true, [])
        let anonymous = try GCSCredentialChain.standard(
            environment: Environment(["STORAGE_EMULATOR_HOST": "localhost:4443", "GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent"]),
            transport: transport)
        #expect(try await anonymous.token() == nil)

        let missing = #expect(throws: StorageError.self) {
            _ = try GCSCredentialChain.standard(
                environment: Environment(["GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/key.json"]), transport: transport)
        }
        #expect(missing?.kind == .accessDenied)

        let noGCE = #expect(throws: StorageError.self) {
            _ = try GCSCredentialChain.standard(
                environment: Environment(["NO_GCE_CHECK": "True", "HOME": "/nonexistent"]), transport: transport)
        }
        #expect(noGCE?.message.contains("GOOGLE_APPLICATION_CREDENTIALS") == true)
    }

    @Test func cacheKeepsTheTokenUntilFiveMinutesBeforeExpiry() async throws {
        let clock = GCSTestClock(1_000)
        let provider = CountingTokenProvider(clock: clock)
        let cache = GCSTokenCache(provider: provider, now: { clock.now })
        #expect(try await cache.token()?.value == "token-1")
        clock.advance(3600 - 301)
        #expect(try await cache.token()?.value == "token-1")
        #expect(await provider.calls == 1)
        clock.advance(1)
        #expect(try await cache.token()?.value == "token-2")
        #expect(await provider.calls == 2)
        await cache.invalidate()
        #expect(try await cache.token()?.value == "token-3")
    }
}
