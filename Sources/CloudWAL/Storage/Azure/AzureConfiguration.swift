/// Everything an `AzureBlobStore` needs besides its transport and credentials.
public struct AzureConfiguration: Sendable {
    /// The Blob service base URL without a trailing slash: `https://ACCOUNT.blob.core.windows.net`,
    /// or for an emulator `http://HOST:PORT/ACCOUNT`.
    public var endpoint: String
    public var container: String
    /// `--encryption-scope`: sent on every write.
    public var encryptionScope: String?
    /// Bodies up to this size go up in one Put Blob; larger ones as blocks.
    public var maxSinglePutSize: Int
    public var maxBlockSize: Int
    /// Blocks in flight at once.
    public var maxConcurrency: Int
    public var requestTimeout: Duration
    public var retry: RetryPolicy
    /// Entries one list request asks for (`maxresults`); nil leaves it to the service. Only the contract tests
    /// set it (through `CloudOptions.listPageSize`), so paging runs with a handful of objects.
    public var listPageSize: Int?

    /// The REST API version we speak: blob index tags and encryption scopes need 2019-12-12+.
    public static let apiVersion = "2021-08-06"

    public init(
        endpoint: String, container: String, encryptionScope: String? = nil, maxSinglePutSize: Int = 64 << 20,
        maxBlockSize: Int = 4 << 20, maxConcurrency: Int = 1, requestTimeout: Duration = .seconds(60),
        retry: RetryPolicy = RetryPolicy()
    ) {
        var trimmed = endpoint
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.endpoint = trimmed
        self.container = container
        self.encryptionScope = encryptionScope
        self.maxSinglePutSize = max(1, maxSinglePutSize)
        self.maxBlockSize = max(1, maxBlockSize)
        self.maxConcurrency = max(1, maxConcurrency)
        self.requestTimeout = requestTimeout
        self.retry = retry
    }

    /// The account the endpoint names: the first label of `ACCOUNT.blob.core.windows.net`, or
    /// the last path segment of an emulator endpoint.
    public var accountFromEndpoint: String? {
        let afterScheme = endpoint.firstRange(of: "://").map { endpoint[$0.upperBound...] } ?? endpoint[...]
        let host = afterScheme.prefix { $0 != "/" }
        let path = afterScheme.dropFirst(host.count).split(separator: "/")
        if let last = path.last { return String(last) }
        let label = host.prefix { $0 != "." }
        return label.isEmpty || label == host ? nil : String(label)
    }

    /// `blob` empty means the container itself. Query names and values are encoded here, so the
    /// URL on the wire is exactly what the Shared Key signer reads back.
    func url(blob: String, query: [(String, String)] = []) -> String {
        var url = "\(endpoint)/\(AWSURIEncoding.encode(container, keepSlash: false))"
        if !blob.isEmpty { url += "/" + AWSURIEncoding.encode(blob, keepSlash: true) }
        if !query.isEmpty {
            url += "?" + query.map {
                AWSURIEncoding.encode($0.0, keepSlash: false) + "=" + AWSURIEncoding.encode($0.1, keepSlash: false)
            }.joined(separator: "&")
        }
        return url
    }

    /// Where to show the blob in messages: `azure://container/key` reads unambiguously.
    func location(_ blob: String) -> String { "\(endpoint)/\(container)/\(blob)" }
}
