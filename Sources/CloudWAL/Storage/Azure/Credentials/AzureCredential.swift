/// How requests to the Blob service are authorized.
public enum AzureAuthorization: Sendable {
    /// Shared Key: each request signed with the account key.
    case sharedKey(AzureSharedKeySigner)
    /// A SAS token appended to every URL (without the leading `?`).
    case sas(String)
    /// A Microsoft Entra ID bearer token for `https://storage.azure.com/`.
    case bearer(any AzureTokenProvider)

    /// Names the method in log lines; never carries the secret itself.
    public var name: String {
        switch self {
        case .sharedKey(let signer): "shared key of account \(signer.account)"
        case .sas: "SAS token"
        case .bearer(let provider): provider.sourceName
        }
    }
}

/// An OAuth access token and when it stops working.
public struct AzureAccessToken: Sendable, Equatable {
    public var token: String
    /// Unix seconds.
    public var expiresOn: Int

    public init(token: String, expiresOn: Int) {
        self.token = token
        self.expiresOn = expiresOn
    }
}

public protocol AzureTokenProvider: Sendable {
    /// Names the source in messages ("managed identity", "Azure CLI", ...).
    var sourceName: String { get }
    func token() async throws -> AzureAccessToken
}

/// One link of DefaultAzureCredential's chain: nil when it is not set up here (the chain moves
/// on); once it is, its failure is the answer.
public protocol AzureTokenSource: AzureTokenProvider {
    func resolveToken() async throws -> AzureAccessToken?
}

extension AzureTokenSource {
    public func token() async throws -> AzureAccessToken {
        guard let token = try await resolveToken() else {
            throw StorageError(.accessDenied, "No Azure credential from \(sourceName)")
        }
        return token
    }
}

/// The resource every token is requested for.
enum AzureStorageScope {
    static let resource = "https://storage.azure.com/"
    static let scope = "https://storage.azure.com/.default"
}
