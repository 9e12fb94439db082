import Glibc

/// The VM's (or user-assigned, with `AZURE_CLIENT_ID`) managed identity through the instance
/// metadata service. In the default chain it is a late link, so it waits little and "nothing
/// answers" or "no identity assigned" means "not here".
public struct AzureManagedIdentitySource: AzureTokenSource {
    public static let defaultEndpoint = "http://169.254.169.254/metadata/identity/oauth2/token"

    let environment: Environment
    let transport: any HTTPTransport
    let endpoint: String
    /// Chosen explicitly (`--azure-credential managed-identity`): every failure is reported.
    let required: Bool
    let timeout: Duration
    let now: @Sendable () -> Int

    public var sourceName: String { "managed identity" }

    public init(
        environment: Environment, transport: any HTTPTransport, required: Bool, endpoint: String = Self.defaultEndpoint,
        timeout: Duration = .seconds(2), now: @escaping @Sendable () -> Int = { Int(time(nil)) }
    ) {
        self.environment = environment
        self.transport = transport
        self.required = required
        self.endpoint = endpoint
        self.timeout = timeout
        self.now = now
    }

    public func resolveToken() async throws -> AzureAccessToken? {
        var query = [("api-version", "2018-02-01"), ("resource", AzureStorageScope.resource)]
        if let client = environment["AZURE_CLIENT_ID"] { query.append(("client_id", client)) }
        let url = endpoint + "?" + AzureText.formEncoded(query)
        let request = HTTPRequest(method: "GET", url: url, headers: [(name: "Metadata", value: "true")])
        let response: HTTPResponse
        do {
            response = try await transport.send(request, timeout: timeout, maxResponseBytes: 1 << 20)
        } catch let error as HTTPTransportError {
            guard required else { return nil }
            throw StorageError(.unreachable, "Cannot reach the Azure instance metadata service for a managed identity token: \(error.message)")
        }
        guard response.status == 200 else {
            // 400 "Identity not found": the VM has no identity (or not the one AZURE_CLIENT_ID names).
            if !required && (response.status == 400 || response.status == 404) { return nil }
            throw StorageError(
                response.status >= 500 ? .unreachable : .accessDenied,
                "The instance metadata service refused a managed identity token (HTTP \(response.status)): \(AzureTokenResponse.errorText(response.body, hiding: []))")
        }
        guard let fields = AzureTokenResponse.fields(response.body), let token = AzureTokenResponse.token(fields, now: now()) else {
            throw StorageError(.failed, "The instance metadata service returned a token document that is not JSON")
        }
        return token
    }
}
