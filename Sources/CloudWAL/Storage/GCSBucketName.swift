/// Google Cloud Storage's bucket naming rules (cloud.google.com/storage/docs/buckets#naming):
/// 3-63 characters, or up to 222 when dots separate components of at most 63; lower-case
/// letters, digits, hyphens, underscores and dots; starting and ending with a letter or digit;
/// not an IP address. The rules about "google" in a name are left to GCS: they concern creating
/// buckets, and a false refusal here would stop archiving.
public enum GCSBucketName {
    /// Why `name` is no valid GCS bucket name, or nil when it is one.
    public static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        let maximum = bytes.contains(UInt8(ascii: ".")) ? 222 : 63
        guard (3...maximum).contains(bytes.count) else {
            return "it must be 3 to 63 characters long (up to 222 with dots)"
        }
        guard bytes.allSatisfy({
            BucketNameCharacters.isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
                || $0 == UInt8(ascii: "_")
        }) else { return "only lower-case letters, digits, dots, hyphens and underscores are allowed" }
        guard let first = bytes.first, let last = bytes.last,
            BucketNameCharacters.isLowerAlphanumeric(first), BucketNameCharacters.isLowerAlphanumeric(last)
        else { return "it must start and end with a letter or digit" }
        let components = name.split(separator: ".", omittingEmptySubsequences: false)
        guard components.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }) else {
            return "each dot-separated part must be 1 to 63 characters long"
        }
        guard !BucketNameCharacters.looksLikeIPv4Address(name) else { return "it must not be an IP address" }
        return nil
    }
}
