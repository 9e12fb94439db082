/// The AWS CLI's credential search, first configured source wins: environment variables, the
/// shared profile files, web identity, the container endpoint, EC2 instance metadata. The result
/// is cached and refreshed before it expires.
public struct AWSCredentialChain: AWSCredentialProvider {
    public let sources: [any AWSCredentialSource]
    private let cache: AWSCredentialCache

    public init(
        sources: [any AWSCredentialSource], refreshMargin: Int = 300,
        now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) {
        self.sources = sources
        cache = AWSCredentialCache(provider: Resolver(sources: sources), refreshMargin: refreshMargin, now: now)
    }

    /// The standard chain. An explicit `profile` (the command-line option) replaces the whole
    /// search with that profile, which must exist, as `aws --profile` does.
    public static func standard(
        environment: Environment, profile: String?, transport: any HTTPTransport,
        now: @escaping @Sendable () -> Int = AWSClock.unixNow
    ) -> AWSCredentialChain {
        if let profile {
            return AWSCredentialChain(
                sources: [ProfileCredentialProvider(environment: environment, profile: profile)], now: now)
        }
        let region = AWSRegion.resolve(environment: environment, profile: nil)
        return AWSCredentialChain(
            sources: [
                EnvironmentCredentialProvider(environment: environment),
                ProfileCredentialProvider(environment: environment, profile: nil),
                WebIdentityCredentialProvider(environment: environment, region: region, transport: transport),
                ContainerCredentialProvider(environment: environment, transport: transport),
                InstanceMetadataCredentialProvider(environment: environment, transport: transport),
            ], now: now)
    }

    public func credentials() async throws -> AWSCredentials {
        try await cache.credentials()
    }

    /// Drops the cached credentials so the next call searches again.
    public func invalidate() async {
        await cache.invalidate()
    }

    /// One uncached pass over the sources.
    private struct Resolver: AWSCredentialProvider {
        let sources: [any AWSCredentialSource]

        func credentials() async throws -> AWSCredentials {
            for source in sources {
                if let credentials = try await source.resolveCredentials() { return credentials }
            }
            throw StorageError(
                .accessDenied,
                "No AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile in ~/.aws/credentials (--profile or AWS_PROFILE), AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN, container credentials, or run on EC2 with an instance role")
        }
    }
}
