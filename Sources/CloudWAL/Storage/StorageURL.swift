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

    public var description: String { original }

    /// Parses `url`. `provider` is the explicit `--cloud-provider`; without one the scheme decides,
    /// where barman-cloud would assume S3 and then refuse a non-S3 URL.
    public init(parsing url: String, provider: CloudProvider?) throws {
        original = url
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw StorageError(.invalidRequest, "Invalid URL '\(url)': expected scheme://location")
        }
        let scheme = parts[0].lowercased()
        let rest = String(parts[1])
        let host = String(rest.prefix { $0 != "/" })
        let path = String(rest.dropFirst(host.count))

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
            location = .s3(bucket: host)
            prefix = String(path.drop { $0 == "/" })
        case "gs":
            try require(.googleCloudStorage)
            guard !host.isEmpty else { throw StorageError(.invalidRequest, "Invalid gs URL address: \(url)") }
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
                location = .gcs(bucket: segments[2])
                prefix = segments.dropFirst(3).joined(separator: "/")
            } else {
                try require(.azureBlobStorage)
                if host.hasSuffix(".blob.core.windows.net") {
                    guard let container = segments.first else {
                        throw StorageError(.invalidRequest, "Invalid Azure URL '\(url)': no container")
                    }
                    location = .azure(endpoint: "\(scheme)://\(host)", container: container, isEmulator: false)
                    prefix = segments.dropFirst().joined(separator: "/")
                } else {
                    // Emulator form: http://HOST:PORT/ACCOUNT/CONTAINER/path
                    guard segments.count >= 2 else {
                        throw StorageError(.invalidRequest, "Invalid Azure URL '\(url)': expected /ACCOUNT/CONTAINER")
                    }
                    location = .azure(
                        endpoint: "\(scheme)://\(host)/\(segments[0])", container: segments[1], isEmulator: true)
                    prefix = segments.dropFirst(2).joined(separator: "/")
                }
            }
        default:
            throw StorageError(.invalidRequest, "Unsupported URL scheme '\(scheme)' in '\(url)'")
        }
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
