/// The percent-encoding SigV4 and S3 agree on (RFC 3986): only `A-Z a-z 0-9 - . _ ~` stay as they
/// are, every other UTF-8 byte becomes `%XX` with upper-case digits; a space is `%20`, never `+`.
///
/// Convention: the S3 code builds request URLs with `encode` (keys with `keepSlash: true`, query
/// names and values with `keepSlash: false`), so the URL on the wire is already canonical. The
/// signer still decodes and re-encodes each path segment and query component, which is a no-op
/// for such URLs and repairs hand-written ones (`/test$file.text` signs as `/test%24file.text`).
/// S3 wants the path encoded once, unlike other services, so nothing is encoded twice.
public enum AWSURIEncoding {
    /// Encodes `text`; `/` stays literal when `keepSlash` (object keys in a path), else `%2F`.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        encode(bytes: Array(text.utf8), keepSlash: keepSlash)
    }

    /// Decodes `%XX` escapes; nil when an escape is malformed or the bytes are not UTF-8 (then the
    /// caller keeps the text as it was given). `+` stays `+`: it means a space only in HTML forms.
    public static func decode(_ text: Substring) -> String? {
        PercentEncoding.decode(text)
    }

    /// The canonical URI of an already encoded URL path: each segment decoded, then encoded again.
    public static func canonicalPath(_ encodedPath: Substring) -> String {
        guard !encodedPath.isEmpty else { return "/" }
        let segments = encodedPath.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            encode(bytes: Array((decode(segment) ?? String(segment)).utf8), keepSlash: false)
        }
        let path = segments.joined(separator: "/")
        return path.hasPrefix("/") ? path : "/" + path
    }

    /// The canonical query string of an already encoded query (without `?`): parameters decoded,
    /// encoded again, sorted by name then value, a bare `name` written as `name=`.
    public static func canonicalQuery(_ encodedQuery: Substring) -> String {
        guard !encodedQuery.isEmpty else { return "" }
        let pairs: [(String, String)] = encodedQuery.split(separator: "&").map { parameter in
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = reencode(parts[0])
            let value = parts.count > 1 ? reencode(parts[1]) : ""
            return (name, value)
        }
        // Sorting the encoded forms byte-wise is what the specification asks for.
        let sorted = pairs.sorted { lhs, rhs in
            lhs.0 != rhs.0 ? Array(lhs.0.utf8).lexicographicallyPrecedes(Array(rhs.0.utf8))
                : Array(lhs.1.utf8).lexicographicallyPrecedes(Array(rhs.1.utf8))
        }
        return sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    private static func reencode(_ component: Substring) -> String {
        encode(bytes: Array((decode(component) ?? String(component)).utf8), keepSlash: false)
    }

    private static func encode(bytes: [UInt8], keepSlash: Bool) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
