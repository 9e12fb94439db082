/// One set of AWS credentials: a key pair, optionally a session token and when it stops working.
///
/// Every text rendering (`description`, `debugDescription`, `dump`) redacts the secret key and the
/// session token, so credentials can be interpolated into logs and errors without leaking.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// Unix seconds after which the credentials are refused; nil for long-lived keys.
    public var expiration: Int?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Int? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }
}

extension AWSCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        // The access key ID is not a secret (it is in every Authorization header) and tells the
        // reader which identity was used; the other two fields are.
        var text = "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>"
        text += sessionToken == nil ? ", sessionToken: none" : ", sessionToken: <redacted>"
        if let expiration { text += ", expiration: \(expiration)" }
        return text + ")"
    }

    public var debugDescription: String { description }

    /// `dump()` and the debugger walk mirrors, not `description`: give them the redacted view too.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessKeyID": accessKeyID,
                "secretAccessKey": "<redacted>",
                "sessionToken": sessionToken == nil ? "none" : "<redacted>",
                "expiration": expiration as Any,
            ])
    }
}

/// Anything that can hand out AWS credentials: one source (environment, profile, STS, container,
/// instance metadata), a cache, or the whole chain.
public protocol AWSCredentialProvider: Sendable {
    func credentials() async throws -> AWSCredentials
}

/// One link of the credential chain: it either is not configured here (nil, the chain moves on)
/// or is, in which case its failure is the answer (a configured but broken source must not be
/// silently skipped in favour of some other identity).
public protocol AWSCredentialSource: AWSCredentialProvider {
    /// Names the source in error messages ("environment", "profile 'prod'", ...).
    var sourceName: String { get }
    /// Credentials, or nil when this source is not set up in this environment.
    func resolveCredentials() async throws -> AWSCredentials?
}

extension AWSCredentialSource {
    public func credentials() async throws -> AWSCredentials {
        guard let credentials = try await resolveCredentials() else {
            throw StorageError(.accessDenied, "No AWS credentials from \(sourceName)")
        }
        return credentials
    }
}
