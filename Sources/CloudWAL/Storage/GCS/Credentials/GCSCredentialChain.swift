/// Chooses Google credentials the way Google's client libraries (and so barman-cloud) do.
public enum GCSCredentialChain {
    /// In order: `STORAGE_EMULATOR_HOST` (anonymous), the key file `GOOGLE_APPLICATION_CREDENTIALS`
    /// names, gcloud's application-default credentials file, then the GCE metadata server unless
    /// `NO_GCE_CHECK=True` says this is not Google Cloud. The result caches its token.
    public static func standard(
        environment: Environment, transport: any HTTPTransport, now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) throws -> any GCSTokenProvider {
        if environment["STORAGE_EMULATOR_HOST"] != nil { return GCSAnonymousCredentials() }
        if let path = environment["GOOGLE_APPLICATION_CREDENTIALS"] {
            guard let text = try AWSLocalFile.read(path) else {
                throw StorageError(.accessDenied, "GOOGLE_APPLICATION_CREDENTIALS names \(path), which does not exist")
            }
            return GCSTokenCache(provider: try keyFile(text, path: path, transport: transport, now: now), now: now)
        }
        if let home = environment["HOME"] {
            let path = (environment["CLOUDSDK_CONFIG"] ?? home + "/.config/gcloud")
                + "/application_default_credentials.json"
            if let text = try AWSLocalFile.read(path) {
                return GCSTokenCache(provider: try keyFile(text, path: path, transport: transport, now: now), now: now)
            }
        }
        if environment["NO_GCE_CHECK"]?.lowercased() == "true" {
            throw StorageError(
                .accessDenied,
                "No Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service account key file "
                    + "(NO_GCE_CHECK=True rules out the metadata server)")
        }
        let metadata = GCEMetadataTokenProvider(
            host: environment["GCE_METADATA_HOST"] ?? GCEMetadataTokenProvider.defaultHost, transport: transport, now: now)
        return GCSTokenCache(provider: metadata, now: now)
    }

    /// A provider for the JSON key file `text` (read from `path`, named in errors).
    public static func keyFile(
        _ text: String, path: String, transport: any HTTPTransport, now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) throws -> any GCSTokenProvider {
        guard let document = JSONValue.parse(text) else {
            throw StorageError(.accessDenied, "\(path) is not a JSON credentials file")
        }
        func field(_ name: String) throws -> String {
            guard let value = document[name]?.stringValue, !value.isEmpty else {
                throw StorageError(.accessDenied, "\(path) lacks \"\(name)\"")
            }
            return value
        }
        switch document["type"]?.stringValue {
        case "service_account":
            return ServiceAccountTokenProvider(
                clientEmail: try field("client_email"), privateKeyPEM: try field("private_key"),
                tokenURI: document["token_uri"]?.stringValue ?? GoogleOAuth.defaultTokenURI, transport: transport,
                now: now)
        case "authorized_user":
            return AuthorizedUserTokenProvider(
                clientID: try field("client_id"), clientSecret: try field("client_secret"),
                refreshToken: try field("refresh_token"),
                tokenURI: document["token_uri"]?.stringValue ?? GoogleOAuth.defaultTokenURI, transport: transport,
                now: now)
        case let other:
            throw StorageError(
                .accessDenied,
                "\(path) has credentials of type \"\(other ?? "none")\"; supported: service_account, authorized_user")
        }
    }
}
