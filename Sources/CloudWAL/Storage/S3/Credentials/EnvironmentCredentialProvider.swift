/// Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
public struct EnvironmentCredentialProvider: AWSCredentialSource {
    public let environment: Environment
    public var sourceName: String { "environment variables" }

    public init(environment: Environment) {
        self.environment = environment
    }

    public func resolveCredentials() async throws -> AWSCredentials? {
        let accessKey = environment["AWS_ACCESS_KEY_ID"]
        let secretKey = environment["AWS_SECRET_ACCESS_KEY"]
        switch (accessKey, secretKey) {
        case (nil, nil):
            return nil
        case let (accessKey?, secretKey?):
            return AWSCredentials(
                accessKeyID: accessKey, secretAccessKey: secretKey, sessionToken: environment["AWS_SESSION_TOKEN"])
        default:
            // Half a key pair is a configuration mistake: falling through to another identity
            // would hide it.
            throw StorageError(
                .invalidRequest, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together")
        }
    }
}
