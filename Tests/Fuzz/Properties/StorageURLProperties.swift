#if canImport(CloudWAL)
import CloudWAL
#endif

/// Storage URLs, under every `--cloud-provider` (and none), and Azure connection strings: a URL
/// that parses names a non-empty bucket or container that is one path component, a prefix with no
/// leading `/`, an absolute directory for `file://`, and the provider asked for; a connection
/// string that fails to parse never repeats its key or signature.
enum StorageURLProperties {
    static func check(_ bytes: [UInt8]) -> [String] {
        var violations = FuzzViolations()
        let text = String(decoding: bytes, as: UTF8.self)
        let quoted = FuzzViolations.quote(text)
        let providers: [CloudProvider?] = [nil] + CloudProvider.allCases.map(Optional.some)
        for provider in providers {
            guard let url = try? StorageURL(parsing: text, provider: provider) else { continue }
            let asked = provider?.rawValue ?? "none"
            violations.expect(url.original == text, "\(quoted) (\(asked)): original not kept")
            violations.expect(!url.prefix.hasPrefix("/"), "\(quoted) (\(asked)): prefix starts with '/'")
            switch url.location {
            case .fileSystem(let root):
                violations.expect(root.hasPrefix("/"), "\(quoted) (\(asked)): file root \(root) is not absolute")
                violations.expect(url.prefix.isEmpty, "\(quoted) (\(asked)): file URL with a prefix")
            case .s3(let bucket):
                violations.expect(provider == nil || provider == .awsS3, "\(quoted) (\(asked)): became S3")
                violations.expect(isOneComponent(bucket), "\(quoted) (\(asked)): S3 bucket '\(bucket)'")
            case .gcs(let bucket):
                violations.expect(provider == nil || provider == .googleCloudStorage, "\(quoted) (\(asked)): became GCS")
                violations.expect(isOneComponent(bucket), "\(quoted) (\(asked)): GCS bucket '\(bucket)'")
            case .azure(let endpoint, let container, _):
                violations.expect(provider == nil || provider == .azureBlobStorage, "\(quoted) (\(asked)): became Azure")
                violations.expect(isOneComponent(container), "\(quoted) (\(asked)): Azure container '\(container)'")
                violations.expect(endpoint.contains("://"), "\(quoted) (\(asked)): Azure endpoint '\(endpoint)'")
            }
        }

        // The same bytes as AZURE_STORAGE_CONNECTION_STRING.
        do {
            let parsed = try AzureConnectionString(parsing: text)
            violations.expect(parsed.blobEndpoint.map { !$0.hasSuffix("/") } ?? false, "\(quoted): blob endpoint")
            violations.expect(parsed.accountKey != nil || parsed.sharedAccessSignature != nil, "\(quoted): no credential")
        } catch {
            let message = String(describing: error)
            for secret in secretValues(in: text) where message.contains(secret) {
                violations.expect(false, "\(quoted): the connection-string error repeats a secret value")
            }
        }
        return violations.messages
    }

    private static func isOneComponent(_ name: String) -> Bool { !name.isEmpty && !name.contains("/") }

    /// Values of the fields that hold credentials, long enough not to occur in a fixed message by chance.
    private static func secretValues(in text: String) -> [String] {
        text.split(separator: ";").compactMap { item -> String? in
            guard let equals = item.firstIndex(of: "=") else { return nil }
            let name = item[..<equals].drop { $0 == " " }.lowercased()
            let value = String(item[item.index(after: equals)...])
            guard name.hasPrefix("accountkey") || name.hasPrefix("sharedaccesssignature"), value.count >= 12 else { return nil }
            return value
        }
    }
}
