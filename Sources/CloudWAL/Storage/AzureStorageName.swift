/// Azure Storage's naming rules for the two names a blob URL carries.
public enum AzureStorageName {
    /// Why `name` is no valid storage account name (3-24 lower-case letters and digits), or nil.
    public static func accountProblem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        guard (3...24).contains(bytes.count), bytes.allSatisfy(BucketNameCharacters.isLowerAlphanumeric) else {
            return "a storage account name is 3 to 24 lower-case letters and digits"
        }
        return nil
    }

    /// Why `name` is no valid container name, or nil: 3-63 lower-case letters, digits and
    /// hyphens, starting and ending with a letter or digit, no two hyphens in a row; or one of
    /// the containers Azure itself names (`$root`, `$web`, `$logs`).
    public static func containerProblem(with name: String) -> String? {
        if ["$root", "$web", "$logs"].contains(name) { return nil }
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return "a container name must be 3 to 63 characters long" }
        guard bytes.allSatisfy({ BucketNameCharacters.isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else {
            return "a container name has only lower-case letters, digits and hyphens"
        }
        guard let first = bytes.first, let last = bytes.last,
            BucketNameCharacters.isLowerAlphanumeric(first), BucketNameCharacters.isLowerAlphanumeric(last)
        else { return "a container name must start and end with a letter or digit" }
        guard !name.contains("--") else { return "a container name must not contain two hyphens in a row" }
        return nil
    }
}
