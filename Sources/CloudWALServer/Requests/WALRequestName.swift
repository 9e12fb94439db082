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
            let decoded = percentDecode(last)
        else { return nil }
        // Decoding may have produced a `/` (`%2F`); the grammar refuses it, but say so explicitly.
        guard !decoded.contains("/") else { return nil }
        return WALFileName(decoded)
    }

    /// RFC 3986 percent-decoding; nil for a malformed escape or bytes that are not UTF-8.
    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
