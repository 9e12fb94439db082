import Crypto
import _CryptoExtras

/// The signed assertion a service account trades for an access token (RFC 7523, RS256).
public enum GoogleJWT {
    public static let readWriteScope = "https://www.googleapis.com/auth/devstorage.read_write"
    /// Google accepts assertions valid for at most an hour.
    public static let lifetime = 3600

    /// `header.claims.signature`, each part base64url without padding.
    public static func assertion(
        clientEmail: String, privateKeyPEM: String, tokenURI: String, scope: String = readWriteScope, issuedAt: Int
    ) throws -> String {
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            // The key's text never goes into the message.
            throw StorageError(
                .accessDenied, "The service account's private_key is not a usable RSA key (PEM, at least 2048 bits)")
        }
        let header = JSONValue.object(["alg": .string("RS256"), "typ": .string("JWT")]).serialized
        let claims = JSONValue.object([
            "iss": .string(clientEmail),
            "scope": .string(scope),
            "aud": .string(tokenURI),
            "iat": .number(String(issuedAt)),
            "exp": .number(String(issuedAt + lifetime)),
        ]).serialized
        let signingInput = base64URL(Array(header.utf8)) + "." + base64URL(Array(claims.utf8))
        let signature = try key.signature(for: Array(signingInput.utf8), padding: .insecurePKCS1v1_5)
        return signingInput + "." + base64URL(Array(signature.rawRepresentation))
    }

    /// Base64url (RFC 4648 §5) without padding, as JWTs use.
    public static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Base64.encode(bytes)
        while text.hasSuffix("=") { text.removeLast() }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }
}
