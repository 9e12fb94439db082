/// Amazon S3's general-purpose bucket naming rules, checked before any connection so a typo is
/// bad input (exit 3) rather than a connection failure, and so a name that could never be a
/// host label is never sent out as one.
///
/// Names S3 reserves for its own features (`xn--`, `-s3alias`, ...) are not refused: they cannot
/// be created as buckets, so nobody can name an existing one, and S3-compatible stores may allow
/// them. Buckets created in us-east-1 before March 2018 could break these rules; they are not
/// addressable with virtual-hosted requests either, and S3 no longer creates them.
public enum S3BucketName {
    /// Why `name` is no valid S3 bucket name, or nil when it is one.
    public static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return "it must be 3 to 63 characters long" }
        guard bytes.allSatisfy({ BucketNameCharacters.isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { return "only lower-case letters, digits, dots and hyphens are allowed" }
        guard let first = bytes.first, let last = bytes.last,
            BucketNameCharacters.isLowerAlphanumeric(first), BucketNameCharacters.isLowerAlphanumeric(last)
        else { return "it must start and end with a letter or digit" }
        guard !name.contains("..") else { return "it must not contain two adjacent dots" }
        guard !BucketNameCharacters.looksLikeIPv4Address(name) else { return "it must not be an IP address" }
        return nil
    }
}
