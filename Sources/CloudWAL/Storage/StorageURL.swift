/// The cloud providers barman-cloud names with `--cloud-provider`.
public enum CloudProvider: String, Sendable, CaseIterable {
    case awsS3 = "aws-s3"
    case azureBlobStorage = "azure-blob-storage"
    case googleCloudStorage = "google-cloud-storage"
}

/// A destination or source URL split the way barman-cloud splits it: a bucket (container, root
/// directory) and a path prefix inside it, to which `<server>/wals/...` is appended.
public struct StorageURL: Sendable, Equatable, CustomStringConvertible {
    public enum Location: Sendable, Equatable {
        /// `file:///abs/dir`: the directory plays the bucket; it must exist (see FileSystemStore).
        case fileSystem(root: String)
        case s3(bucket: String)
        /// `account` is the host (`ACCOUNT.blob.core.windows.net`) or, for an emulator URL, the
        /// `scheme://host:port/ACCOUNT` base.
        case azure(endpoint: String, container: String, isEmulator: Bool)
        case gcs(bucket: String)
    }

    public let location: Location
    /// The path inside the bucket, without a leading `/`; may be empty or end with `/`.
    public let prefix: String
    public let original: String

    /// The URL with any user information and query string masked: safe for logs and errors.
    public var description: String { Self.redacted(original) }

    /// Parses `url`. `provider` is the explicit `--cloud-provider`; without one the scheme decides,
    /// where barman-cloud would assume S3 and then refuse a non-S3 URL.
    ///
    /// Bucket, container and account names are checked against their provider's rules here,
    /// before anything connects; a URL carrying credentials (`user:password@`) is refused, and no
    /// error message ever repeats them.
    public init(parsing text: String, provider: CloudProvider?) throws {
        original = text
        // Every message below names the URL only in this form.
        let url = Self.redacted(text)
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw StorageError(.invalidRequest, "Invalid URL '\(url)': expected scheme://location")
        }
        let scheme = parts[0].lowercased()
        let rest = String(parts[1])
        let host = String(rest.prefix { $0 != "/" })
        let path = String(rest.dropFirst(host.count))
        guard !host.contains("@") else {
            throw StorageError(
                .invalidRequest,
                "Invalid URL '\(url)': credentials do not belong in the URL (use the provider's credential "
                    + "options or environment)")
        }
        func validate(_ problem: String?, _ what: String) throws {
            if let problem { throw StorageError(.invalidRequest, "Invalid \(what) in '\(url)': \(problem)") }
        }

        func require(_ expected: CloudProvider) throws {
            if let provider, provider != expected {
                throw StorageError(
                    .invalidRequest, "URL '\(url)' does not match --cloud-provider \(provider.rawValue)")
            }
        }

        switch scheme {
        case "file":
            guard host.isEmpty || host == "localhost" else {
                throw StorageError(.invalidRequest, "Invalid file URL '\(url)': use file:///absolute/path")
            }
            guard path.hasPrefix("/") else {
                throw StorageError(.invalidRequest, "Invalid file URL '\(url)': the path must be absolute")
            }
            let decoded = try Self.percentDecoded(path, in: url)
            let trimmed = decoded.count > 1 && decoded.hasSuffix("/") ? String(decoded.dropLast()) : decoded
            location = .fileSystem(root: trimmed)
            prefix = ""
        case "s3":
            try require(.awsS3)
            guard !host.isEmpty else { throw StorageError(.invalidRequest, "Invalid s3 URL address: \(url)") }
            try validate(S3BucketName.problem(with: host), "S3 bucket name")
            location = .s3(bucket: host)
            prefix = String(path.drop { $0 == "/" })
        case "gs":
            try require(.googleCloudStorage)
            guard !host.isEmpty else { throw StorageError(.invalidRequest, "Invalid gs URL address: \(url)") }
            try validate(GCSBucketName.problem(with: host), "Google Cloud Storage bucket name")
            location = .gcs(bucket: host)
            prefix = Self.strippingSlashes(path)
        case "http", "https":
            let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            if host == "console.cloud.google.com" || provider == .googleCloudStorage {
                try require(.googleCloudStorage)
                // https://console.cloud.google.com/storage/browser/BUCKET/path
                guard segments.count >= 3, segments[0] == "storage", segments[1] == "browser" else {
                    throw StorageError(.invalidRequest, "Invalid Google Cloud Storage URL: \(url)")
                }
                try validate(GCSBucketName.problem(with: segments[2]), "Google Cloud Storage bucket name")
                location = .gcs(bucket: segments[2])
                prefix = segments.dropFirst(3).joined(separator: "/")
            } else {
                try require(.azureBlobStorage)
                if host.hasSuffix(".blob.core.windows.net") {
                    guard let container = segments.first else {
                        throw StorageError(.invalidRequest, "Invalid Azure URL '\(url)': no container")
                    }
                    let account = String(host.prefix { $0 != "." })
                    try validate(AzureStorageName.accountProblem(with: account), "Azure storage account")
                    try validate(AzureStorageName.containerProblem(with: container), "Azure container")
                    location = .azure(endpoint: "\(scheme)://\(host)", container: container, isEmulator: false)
                    prefix = segments.dropFirst().joined(separator: "/")
                } else {
                    // Emulator form: http://HOST:PORT/ACCOUNT/CONTAINER/path
                    guard segments.count >= 2 else {
                        throw StorageError(.invalidRequest, "Invalid Azure URL '\(url)': expected /ACCOUNT/CONTAINER")
                    }
                    // The emulator's account is whatever it was configured with (Azurite accepts
                    // any); the container follows Azure's rules, as the service would enforce.
                    try validate(AzureStorageName.containerProblem(with: segments[1]), "Azure container")
                    location = .azure(
                        endpoint: "\(scheme)://\(host)/\(segments[0])", container: segments[1], isEmulator: true)
                    prefix = segments.dropFirst(2).joined(separator: "/")
                }
            }
        default:
            throw StorageError(.invalidRequest, "Unsupported URL scheme '\(scheme)' in '\(url)'")
        }
    }

    /// `url` with the user information before a host's `@` and everything from `?` or `;` (a SAS
    /// token or signed query) replaced by `***`.
    public static func redacted(_ url: String) -> String {
        var text = Substring(url)
        var scheme: Substring = ""
        if let separator = text.firstRange(of: "://") {
            scheme = text[..<separator.upperBound]
            text = text[separator.upperBound...]
        }
        let authorityEnd = text.firstIndex(of: "/") ?? text.endIndex
        if let at = text[..<authorityEnd].lastIndex(of: "@") {
            text = "***" + text[at...]
        }
        if let query = text.firstIndex(where: { $0 == "?" || $0 == ";" }) {
            text = text[..<query] + "***"
        }
        return String(scheme + text)
    }

    private static func strippingSlashes(_ path: String) -> String {
        String(path.drop { $0 == "/" }.reversed().drop { $0 == "/" }.reversed())
    }

    /// Decodes `%XX` escapes, so `file:///srv/wal%20archive` names the directory with a space.
    private static func percentDecoded(_ path: String, in url: String) throws -> String {
        guard path.contains("%") else { return path }
        var out: [UInt8] = []
        var bytes = Array(path.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                continue
            }
            guard bytes.count >= 2, let value = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16)
            else { throw StorageError(.invalidRequest, "Invalid percent escape in URL '\(url)'") }
            out.append(value)
            bytes = bytes.dropFirst(2)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
