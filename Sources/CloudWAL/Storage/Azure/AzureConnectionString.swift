/// `AZURE_STORAGE_CONNECTION_STRING`: `Name=value;` pairs as the portal and Azurite give them.
///
/// Only what the Blob service needs is kept: the account and its key or a SAS, and where the
/// Blob endpoint is (explicit `BlobEndpoint`, or built from protocol and endpoint suffix).
public struct AzureConnectionString: Sendable, Equatable {
    public var accountName: String?
    public var accountKey: String?
    public var sharedAccessSignature: String?
    /// The Blob service base URL without a trailing slash, e.g. `https://acct.blob.core.windows.net`
    /// or `http://127.0.0.1:10000/devstoreaccount1`.
    public var blobEndpoint: String?

    /// Azurite's well-known development account (`UseDevelopmentStorage=true`); it is public.
    static let developmentAccount = "devstoreaccount1"
    static let developmentKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

    /// Parses `text`; throws `.invalidRequest` with a message that never repeats a value (keys
    /// and signatures live in this string).
    public init(parsing text: String) throws {
        var fields: [String: String] = [:]
        for item in text.split(separator: ";", omittingEmptySubsequences: true) {
            let trimmed = item.drop { $0 == " " }
            guard !trimmed.isEmpty else { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw StorageError(.invalidRequest, "AZURE_STORAGE_CONNECTION_STRING is malformed: expected Name=value pairs separated by ';'")
            }
            let name = trimmed[..<equals].lowercased().trimmingSpaces
            fields[name] = String(trimmed[trimmed.index(after: equals)...]).trimmingSpaces
        }
        if fields["usedevelopmentstorage"]?.lowercased() == "true" {
            accountName = Self.developmentAccount
            accountKey = Self.developmentKey
            blobEndpoint = "http://127.0.0.1:10000/\(Self.developmentAccount)"
            return
        }
        accountName = fields["accountname"].flatMap { $0.isEmpty ? nil : $0 }
        accountKey = fields["accountkey"].flatMap { $0.isEmpty ? nil : $0 }
        sharedAccessSignature = fields["sharedaccesssignature"].flatMap { $0.isEmpty ? nil : String($0.drop { $0 == "?" }) }
        if var endpoint = fields["blobendpoint"], !endpoint.isEmpty {
            while endpoint.hasSuffix("/") { endpoint.removeLast() }
            blobEndpoint = endpoint
        } else if let accountName {
            let scheme = fields["defaultendpointsprotocol"]?.lowercased() ?? "https"
            var suffix = fields["endpointsuffix"] ?? "core.windows.net"
            // As for BlobEndpoint: `core.windows.net/` must not put `//` before every blob name.
            while suffix.hasSuffix("/") { suffix.removeLast() }
            blobEndpoint = "\(scheme)://\(accountName).blob.\(suffix)"
        }
        guard blobEndpoint != nil else {
            throw StorageError(.invalidRequest, "AZURE_STORAGE_CONNECTION_STRING names neither AccountName nor BlobEndpoint")
        }
        if accountKey != nil, accountName == nil {
            throw StorageError(.invalidRequest, "AZURE_STORAGE_CONNECTION_STRING has an AccountKey but no AccountName")
        }
        guard accountKey != nil || sharedAccessSignature != nil else {
            throw StorageError(.invalidRequest, "AZURE_STORAGE_CONNECTION_STRING has neither AccountKey nor SharedAccessSignature")
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String { String(self).trimmingSpaces }
}
