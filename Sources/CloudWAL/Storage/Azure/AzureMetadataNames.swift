/// Azure metadata names must be C# identifiers, so the `-` of our S3-style keys
/// (`cloudwal-sha256`) cannot be stored as is. Writes turn `-` into `_`, reads turn it back, so
/// `ObjectMetadataKey.sha256` means the same on every backend. Our keys never contain `_`.
public enum AzureMetadataNames {
    public static func azureName(_ key: String) -> String {
        String(key.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    public static func objectKey(_ azureName: String) -> String {
        String(azureName.lowercased().map { $0 == "_" ? "-" : $0 })
    }

    /// `x-ms-meta-*` response headers as object metadata.
    static func metadata(from headers: [(name: String, value: String)]) -> [String: String] {
        var metadata: [String: String] = [:]
        for header in headers {
            let name = header.name.lowercased()
            if name.hasPrefix("x-ms-meta-") {
                metadata[objectKey(String(name.dropFirst("x-ms-meta-".count)))] = header.value
            }
        }
        return metadata
    }
}
