/// Static keys from a profile of the shared files (`aws_access_key_id`, `aws_secret_access_key`,
/// `aws_session_token`), and the profile's `region`.
///
/// The profile is the explicit option, else AWS_PROFILE, else `default`. A profile someone named
/// (option or AWS_PROFILE) must exist; `default` may be absent and the chain moves on.
public struct ProfileCredentialProvider: AWSCredentialSource {
    public let environment: Environment
    public let profileName: String
    /// True when the caller passed the profile: then it is the only source and must hold keys.
    public let isExplicitOption: Bool

    /// Profile settings this provider cannot turn into keys; a profile using them fails loudly
    /// instead of quietly yielding some other identity.
    private static let unsupportedSettings = [
        "role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file",
    ]

    public init(environment: Environment, profile: String?) {
        self.environment = environment
        self.profileName = profile ?? environment["AWS_PROFILE"] ?? "default"
        self.isExplicitOption = profile != nil
    }

    public var sourceName: String { "AWS profile '\(profileName)'" }

    private var isNamed: Bool { isExplicitOption || environment["AWS_PROFILE"] != nil }

    public func resolveCredentials() async throws -> AWSCredentials? {
        let files = try AWSConfigFiles.load(environment: environment)
        guard let settings = files.profile(profileName) else {
            guard !isNamed else {
                throw StorageError(
                    .invalidRequest,
                    "AWS profile '\(profileName)' not found in \(files.credentialsPath) or \(files.configPath)")
            }
            return nil
        }
        let accessKey = settings["aws_access_key_id"].flatMap { $0.isEmpty ? nil : $0 }
        let secretKey = settings["aws_secret_access_key"].flatMap { $0.isEmpty ? nil : $0 }
        switch (accessKey, secretKey) {
        case let (accessKey?, secretKey?):
            let token = settings["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredentials(accessKeyID: accessKey, secretAccessKey: secretKey, sessionToken: token)
        case (nil, nil):
            let unsupported = Self.unsupportedSettings.filter { settings[$0] != nil }
            if !unsupported.isEmpty {
                throw StorageError(
                    .invalidRequest,
                    "AWS profile '\(profileName)' uses \(unsupported.joined(separator: ", ")), which cloud-wal does not support: give it aws_access_key_id/aws_secret_access_key or use environment credentials")
            }
            if isExplicitOption {
                throw StorageError(
                    .invalidRequest, "AWS profile '\(profileName)' has no aws_access_key_id/aws_secret_access_key")
            }
            return nil  // a profile holding only settings such as region
        default:
            throw StorageError(
                .invalidRequest,
                "AWS profile '\(profileName)' must set both aws_access_key_id and aws_secret_access_key")
        }
    }

    /// The profile's `region`, nil when unset or the profile is absent.
    public func region() throws -> String? {
        try AWSConfigFiles.load(environment: environment).profile(profileName)?["region"].flatMap {
            $0.isEmpty ? nil : $0
        }
    }
}
