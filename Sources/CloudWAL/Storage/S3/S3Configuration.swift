/// Everything an `S3Store` needs besides its transport and credentials.
public struct S3Configuration: Sendable {
    public enum AddressingStyle: String, Sendable, CaseIterable {
        case auto, virtual, path
    }

    public var bucket: String
    public var region: String
    /// A custom endpoint (`http://127.0.0.1:9000`, MinIO, Ceph, R2); nil means AWS itself.
    public var endpoint: String?
    public var addressingStyle: AddressingStyle
    public var encryption: CloudOptions.ServerSideEncryption?
    public var kmsKeyID: String?
    /// How long one request may take (barman-cloud's `--read-timeout`).
    public var requestTimeout: Duration
    /// Bodies above this size go up as a multipart upload.
    public var multipartThreshold: Int
    public var partSize: Int
    public var retry: RetryPolicy
    /// Entries one list request asks for (`max-keys`); nil leaves it to the service. Only the contract tests
    /// set it (through `CloudOptions.listPageSize`), so paging runs with a handful of objects.
    public var listPageSize: Int?

    public init(
        bucket: String, region: String, endpoint: String? = nil, addressingStyle: AddressingStyle = .auto,
        encryption: CloudOptions.ServerSideEncryption? = nil, kmsKeyID: String? = nil,
        requestTimeout: Duration = .seconds(60), multipartThreshold: Int = 100 << 20, partSize: Int = 16 << 20,
        retry: RetryPolicy = RetryPolicy()
    ) {
        self.bucket = bucket
        self.region = region
        self.endpoint = endpoint
        self.addressingStyle = addressingStyle
        self.encryption = encryption
        self.kmsKeyID = kmsKeyID
        self.requestTimeout = requestTimeout
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.retry = retry
    }

    /// Path style for custom endpoints (what S3-compatible servers expect) and for bucket names
    /// with dots (which break the `*.s3.amazonaws.com` certificate); virtual-hosted otherwise.
    var usesPathStyle: Bool {
        switch addressingStyle {
        case .path: true
        case .virtual: false
        case .auto: endpoint != nil || bucket.contains(".")
        }
    }

    /// The URL of `key` in the bucket (`key` empty for the bucket itself), with `query` appended.
    func url(key: String, query: [(String, String)] = []) -> String {
        let encodedKey = AWSURIEncoding.encode(key, keepSlash: true)
        var base: String
        if let endpoint {
            let trimmed = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            if usesPathStyle {
                base = "\(trimmed)/\(bucket)"
            } else {
                let parts = trimmed.split(separator: "://", maxSplits: 1)
                base = parts.count == 2 ? "\(parts[0])://\(bucket).\(parts[1])" : trimmed
            }
        } else if usesPathStyle {
            base = "https://s3.\(region).amazonaws.com/\(bucket)"
        } else {
            base = "https://\(bucket).s3.\(region).amazonaws.com"
        }
        var url = key.isEmpty ? base + "/" : "\(base)/\(encodedKey)"
        if !query.isEmpty {
            url += "?" + query.map { name, value in
                AWSURIEncoding.encode(name, keepSlash: false) + "=" + AWSURIEncoding.encode(value, keepSlash: false)
            }.joined(separator: "&")
        }
        return url
    }
}
