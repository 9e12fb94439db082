import Glibc

/// Small text helpers the Azure backend needs and Foundation would otherwise provide: base64
/// decoding (account keys), RFC 1123 dates (`x-ms-date`), form and query encoding.
enum AzureText {
    /// Decodes standard base64 (padding optional, whitespace ignored); nil when it is not base64.
    static func base64Decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for byte in text.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            case 0x20, 0x09, 0x0A, 0x0D: continue
            default: return nil
            }
            // Data after padding is not base64.
            guard padding == 0 else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return padding <= 2 ? out : nil
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT`, built by hand: strftime's names follow the locale.
    static func httpDate(_ unixTime: Int) -> String {
        var seconds = time_t(unixTime)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "Thu, 01 Jan 1970 00:00:00 GMT" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let weekday = weekdays[Int(parts.tm_wday) % 7]
        let month = months[Int(parts.tm_mon) % 12]
        return "\(weekday), \(two(parts.tm_mday)) \(month) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    /// `application/x-www-form-urlencoded` body from ordered pairs (token requests).
    static func formEncoded(_ pairs: [(String, String)]) -> String {
        pairs.map { AWSURIEncoding.encode($0.0, keepSlash: false) + "=" + AWSURIEncoding.encode($0.1, keepSlash: false) }
            .joined(separator: "&")
    }

    /// Splits `a=1&b=2` into decoded pairs; `+` stays a plus (Azure's SAS tokens never use it for space).
    static func queryPairs(_ query: Substring) -> [(String, String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = AWSURIEncoding.decode(parts[0]) ?? String(parts[0])
            let value = parts.count > 1 ? (AWSURIEncoding.decode(parts[1]) ?? String(parts[1])) : ""
            return (name, value)
        }
    }
}
