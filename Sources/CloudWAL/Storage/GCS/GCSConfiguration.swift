/// Everything a `GCSStore` needs besides its transport and credentials.
public struct GCSConfiguration: Sendable {
    /// Google's endpoint for the JSON API.
    public static let defaultEndpoint = "https://storage.googleapis.com"
    /// Resumable upload chunks must be multiples of this (except the last).
    public static let chunkGranularity = 256 << 10

    public var bucket: String
    /// `scheme://host[:port]` without a trailing slash: Google, or an emulator.
    public var endpoint: String
    /// Cloud KMS key for customer-managed encryption (barman-cloud's `--kms-key-name`).
    public var kmsKeyName: String?
    /// How long one request may take (barman-cloud's `--read-timeout`).
    public var requestTimeout: Duration
    /// Bodies above this size go up as a resumable upload, in chunks, instead of one request.
    public var resumableThreshold: Int
    /// Size of one resumable chunk, rounded down to a multiple of 256 KiB as Google requires.
    public var chunkSize: Int
    public var retry: RetryPolicy
    /// Entries one list request asks for (`maxResults`); nil leaves it to the service. Only the contract tests
    /// set it (through `CloudOptions.listPageSize`), so paging runs with a handful of objects.
    public var listPageSize: Int?

    public init(
        bucket: String, endpoint: String = GCSConfiguration.defaultEndpoint, kmsKeyName: String? = nil,
        requestTimeout: Duration = .seconds(60), resumableThreshold: Int = 100 << 20, chunkSize: Int = 16 << 20,
        retry: RetryPolicy = RetryPolicy()
    ) {
        self.bucket = bucket
        self.endpoint = Self.normalizedEndpoint(endpoint)
        self.kmsKeyName = kmsKeyName
        self.requestTimeout = requestTimeout
        self.resumableThreshold = resumableThreshold
        self.chunkSize = max(Self.chunkGranularity, chunkSize / Self.chunkGranularity * Self.chunkGranularity)
        self.retry = retry
    }

    /// `STORAGE_EMULATOR_HOST` is set with or without a scheme (`localhost:4443` is common, as the
    /// Python client accepts it); without one it is plain HTTP, which is what emulators speak.
    public static func normalizedEndpoint(_ endpoint: String) -> String {
        var text = endpoint
        while text.hasSuffix("/") { text.removeLast() }
        return text.contains("://") ? text : "http://" + text
    }

    /// `/storage/v1/b/BUCKET` plus `suffix`, with `query` appended.
    func url(_ suffix: String = "", upload: Bool = false, query: [(String, String)] = []) -> String {
        let base = endpoint + (upload ? "/upload" : "") + "/storage/v1/b/" + Self.encode(bucket) + suffix
        return Self.appending(query, to: base)
    }

    /// The JSON API URL of object `key` (its name is one path segment, `/` included).
    func objectURL(_ key: String, query: [(String, String)] = []) -> String {
        url("/o/" + Self.encode(key), query: query)
    }

    static func appending(_ query: [(String, String)], to base: String) -> String {
        guard !query.isEmpty else { return base }
        return base + (base.contains("?") ? "&" : "?")
            + query.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    /// Everything but RFC 3986 unreserved characters percent-encoded, `/` too.
    static func encode(_ text: String) -> String {
        AWSURIEncoding.encode(text, keepSlash: false)
    }
}
