import Glibc

/// DefaultAzureCredential's order, reduced to what a database host can have: a service
/// principal's secret, workload identity, managed identity, the Azure CLI. First configured
/// source wins; the token is cached until 5 minutes before it expires.
public struct AzureDefaultCredential: AzureTokenProvider {
    public let sources: [any AzureTokenSource]
    private let cache: AzureTokenCache
    public var sourceName: String { "DefaultAzureCredential" }

    public init(sources: [any AzureTokenSource], now: @escaping @Sendable () -> Int = { Int(time(nil)) }) {
        self.sources = sources
        cache = AzureTokenCache(provider: Resolver(sources: sources), now: now)
    }

    public static func standard(environment: Environment, transport: any HTTPTransport) -> AzureDefaultCredential {
        AzureDefaultCredential(sources: [
            AzureClientSecretSource(environment: environment, transport: transport),
            AzureWorkloadIdentitySource(environment: environment, transport: transport),
            AzureManagedIdentitySource(environment: environment, transport: transport, required: false),
            AzureCLISource(environment: environment, required: false),
        ])
    }

    public func token() async throws -> AzureAccessToken {
        try await cache.token()
    }

    private struct Resolver: AzureTokenProvider {
        let sources: [any AzureTokenSource]
        var sourceName: String { "DefaultAzureCredential" }

        func token() async throws -> AzureAccessToken {
            for source in sources {
                if let token = try await source.resolveToken() { return token }
            }
            throw StorageError(
                .accessDenied,
                "No Azure credentials found: set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_KEY, AZURE_TENANT_ID/AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, run on a VM with a managed identity, or az login")
        }
    }
}

/// Picks the endpoint and authorization barman-cloud would: an explicit `--azure-credential`
/// first, else `AZURE_STORAGE_CONNECTION_STRING`, `AZURE_STORAGE_SAS_TOKEN`, `AZURE_STORAGE_KEY`
/// (with the account the URL names), else the default chain.
public enum AzureCredentialResolver {
    public struct Resolved: Sendable {
        public var endpoint: String
        public var authorization: AzureAuthorization
    }

    public static func resolve(
        urlEndpoint: String, isEmulator: Bool, explicit: CloudOptions.AzureCredential?, environment: Environment,
        transport: any HTTPTransport
    ) throws -> Resolved {
        if let explicit {
            let provider: any AzureTokenProvider
            switch explicit {
            case .azureCLI:
                provider = AzureTokenCache(provider: AzureCLISource(environment: environment, required: true))
            case .managedIdentity:
                provider = AzureTokenCache(
                    provider: AzureManagedIdentitySource(
                        environment: environment, transport: transport, required: true, timeout: .seconds(10)))
            case .defaultChain:
                provider = AzureDefaultCredential.standard(environment: environment, transport: transport)
            }
            return Resolved(endpoint: urlEndpoint, authorization: .bearer(provider))
        }
        if let text = environment["AZURE_STORAGE_CONNECTION_STRING"] {
            let parsed = try AzureConnectionString(parsing: text)
            let endpoint = parsed.blobEndpoint ?? urlEndpoint
            if let key = parsed.accountKey, let account = parsed.accountName {
                guard let signer = AzureSharedKeySigner(account: account, base64Key: key) else {
                    throw StorageError(.invalidRequest, "The AccountKey in AZURE_STORAGE_CONNECTION_STRING is not base64")
                }
                return Resolved(endpoint: endpoint, authorization: .sharedKey(signer))
            }
            if let sas = parsed.sharedAccessSignature {
                return Resolved(endpoint: endpoint, authorization: .sas(sas))
            }
        }
        if isEmulator {
            throw StorageError(
                .invalidRequest, "An Azure emulator URL (http://HOST:PORT/ACCOUNT/CONTAINER) needs AZURE_STORAGE_CONNECTION_STRING")
        }
        if let sas = environment["AZURE_STORAGE_SAS_TOKEN"] {
            return Resolved(endpoint: urlEndpoint, authorization: .sas(String(sas.drop { $0 == "?" })))
        }
        if let key = environment["AZURE_STORAGE_KEY"] {
            let account = AzureConfiguration(endpoint: urlEndpoint, container: "").accountFromEndpoint
            guard let account, let signer = AzureSharedKeySigner(account: account, base64Key: key) else {
                throw StorageError(.invalidRequest, "AZURE_STORAGE_KEY is not a base64 account key, or the URL names no account")
            }
            return Resolved(endpoint: urlEndpoint, authorization: .sharedKey(signer))
        }
        return Resolved(
            endpoint: urlEndpoint,
            authorization: .bearer(AzureDefaultCredential.standard(environment: environment, transport: transport)))
    }
}
