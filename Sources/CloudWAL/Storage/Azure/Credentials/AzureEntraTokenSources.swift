import Glibc

/// The token endpoint of Microsoft Entra ID, for a service principal's secret or federated
/// assertion (`AZURE_AUTHORITY_HOST` overrides the public cloud's host, as the SDKs allow).
struct AzureEntraTokenEndpoint: Sendable {
    let environment: Environment
    let transport: any HTTPTransport
    let now: @Sendable () -> Int

    func url(tenant: String) -> String {
        var host = environment["AZURE_AUTHORITY_HOST"] ?? "https://login.microsoftonline.com"
        while host.hasSuffix("/") { host.removeLast() }
        return "\(host)/\(AWSURIEncoding.encode(tenant, keepSlash: false))/oauth2/v2.0/token"
    }

    func request(tenant: String, form: [(String, String)], secret: String, source: String) async throws -> AzureAccessToken {
        let request = HTTPRequest(
            method: "POST", url: url(tenant: tenant),
            headers: [(name: "Content-Type", value: "application/x-www-form-urlencoded")],
            body: Array(AzureText.formEncoded(form).utf8))
        let response: HTTPResponse
        do {
            response = try await RetryPolicy(maxAttempts: 3, deadline: .seconds(30)).run(
                isRetryable: { ($0 as? HTTPTransportError).map { $0.kind != .other } ?? false }
            ) {
                try await transport.send(request, timeout: .seconds(30), maxResponseBytes: 1 << 20)
            }
        } catch let error as HTTPTransportError {
            throw StorageError(.unreachable, "Cannot reach Microsoft Entra ID for \(source): \(error.message)")
        }
        guard response.status == 200, let fields = AzureTokenResponse.fields(response.body),
            let token = AzureTokenResponse.token(fields, now: now())
        else {
            throw StorageError(
                response.status >= 500 ? .unreachable : .accessDenied,
                "Microsoft Entra ID refused \(source) (HTTP \(response.status)): \(AzureTokenResponse.errorText(response.body, hiding: [secret]))")
        }
        return token
    }
}

/// `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET`: a service principal.
public struct AzureClientSecretSource: AzureTokenSource {
    let endpoint: AzureEntraTokenEndpoint
    public var sourceName: String { "client secret (AZURE_CLIENT_SECRET)" }

    public init(environment: Environment, transport: any HTTPTransport, now: @escaping @Sendable () -> Int = { Int(time(nil)) }) {
        endpoint = AzureEntraTokenEndpoint(environment: environment, transport: transport, now: now)
    }

    public func resolveToken() async throws -> AzureAccessToken? {
        let environment = endpoint.environment
        guard let tenant = environment["AZURE_TENANT_ID"], let client = environment["AZURE_CLIENT_ID"],
            let secret = environment["AZURE_CLIENT_SECRET"]
        else { return nil }
        return try await endpoint.request(
            tenant: tenant,
            form: [
                ("grant_type", "client_credentials"), ("client_id", client), ("client_secret", secret),
                ("scope", AzureStorageScope.scope),
            ], secret: secret, source: sourceName)
    }
}

/// Workload identity (AKS): the service account token in `AZURE_FEDERATED_TOKEN_FILE` is the
/// client assertion. The file is read on every refresh because the kubelet rotates it.
public struct AzureWorkloadIdentitySource: AzureTokenSource {
    let endpoint: AzureEntraTokenEndpoint
    public var sourceName: String { "workload identity (AZURE_FEDERATED_TOKEN_FILE)" }

    public init(environment: Environment, transport: any HTTPTransport, now: @escaping @Sendable () -> Int = { Int(time(nil)) }) {
        endpoint = AzureEntraTokenEndpoint(environment: environment, transport: transport, now: now)
    }

    public func resolveToken() async throws -> AzureAccessToken? {
        let environment = endpoint.environment
        guard let tenant = environment["AZURE_TENANT_ID"], let client = environment["AZURE_CLIENT_ID"],
            let file = environment["AZURE_FEDERATED_TOKEN_FILE"]
        else { return nil }
        guard let text = try AWSLocalFile.read(file) else {
            throw StorageError(.accessDenied, "AZURE_FEDERATED_TOKEN_FILE \(file) does not exist")
        }
        let assertion = AWSConfigFiles.trim(text)
        return try await endpoint.request(
            tenant: tenant,
            form: [
                ("grant_type", "client_credentials"), ("client_id", client),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", assertion), ("scope", AzureStorageScope.scope),
            ], secret: assertion, source: sourceName)
    }
}
