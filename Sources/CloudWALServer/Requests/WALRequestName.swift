import CloudWAL

/// The WAL file a request names: the last component of the request path, percent-decoded, and
/// only if it is a WAL file name.
///
/// Taking only the last component and insisting on the WAL grammar (hex digits and a fixed
/// suffix) means no request can name `..`, a `/`, or any other file of PGDATA, however it is
/// encoded: nothing else ever reaches the file system.
public enum WALRequestName {
    /// The validated name, or nil when the last component is not a WAL file name.
    public static func parse(path: String) -> WALFileName? {
        let withoutQuery = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard let last = withoutQuery.split(separator: "/", omittingEmptySubsequences: false).last,
            let decoded = PercentEncoding.decode(last)
        else { return nil }
        // Decoding may have produced a `/` (`%2F`); the grammar refuses it, but say so explicitly.
        guard !decoded.contains("/") else { return nil }
        return WALFileName(decoded)
    }
}
