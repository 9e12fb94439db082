import Crypto

/// Shared Key authorization for the Blob service (version 2009-09-19 and later), per Microsoft's
/// "Authorize with Shared Key": an HMAC-SHA256, keyed with the account key, over the verb, eleven
/// standard headers, the `x-ms-*` headers and the resource. The string-to-sign is public so the
/// unit tests can compare it line by line with the documented form.
public struct AzureSharedKeySigner: Sendable {
    public let account: String
    private let key: [UInt8]

    /// `key` is the account key as the portal shows it (base64); nil when it is not base64.
    public init?(account: String, base64Key: String) {
        guard let key = AzureText.base64Decode(base64Key), !key.isEmpty else { return nil }
        self.account = account
        self.key = key
    }

    /// The standard headers in the order the string-to-sign lists them.
    static let standardHeaders = [
        "Content-Encoding", "Content-Language", "Content-Length", "Content-MD5", "Content-Type", "Date",
        "If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range",
    ]

    /// Adds `Authorization: SharedKey account:signature`. The request must already carry
    /// `x-ms-date` and `x-ms-version`, and `contentLength` must be what goes on the wire.
    public func sign(_ request: inout HTTPRequest, contentLength: Int) {
        let text = stringToSign(request, contentLength: contentLength)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key))
        request.headers.append((name: "Authorization", value: "SharedKey \(account):\(Base64.encode(Array(mac)))"))
    }

    public func stringToSign(_ request: HTTPRequest, contentLength: Int) -> String {
        func header(_ name: String) -> String {
            let wanted = name.lowercased()
            return request.headers.first { $0.name.lowercased() == wanted }?.value ?? ""
        }
        var lines = [request.method.uppercased()]
        for name in Self.standardHeaders {
            if name == "Content-Length" {
                // Since 2015-02-21 a zero length is signed as the empty string.
                lines.append(contentLength > 0 ? String(contentLength) : "")
            } else {
                lines.append(header(name))
            }
        }
        return lines.joined(separator: "\n") + "\n" + Self.canonicalizedHeaders(request.headers)
            + canonicalizedResource(url: request.url)
    }

    /// `x-ms-*` headers: names lower-cased and sorted, values with runs of white space folded,
    /// each line `name:value\n`.
    static func canonicalizedHeaders(_ headers: [(name: String, value: String)]) -> String {
        var byName: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            guard name.hasPrefix("x-ms-") else { continue }
            let folded = header.value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
                .joined(separator: " ")
            byName[name, default: []].append(folded)
        }
        return byName.keys.sorted().map { "\($0):\(byName[$0, default: []].joined(separator: ","))\n" }.joined()
    }

    /// `/account/encoded/path` then one `\nname:value` line per query parameter, names lower-cased
    /// and sorted, values decoded, repeated values sorted and joined by commas. For an emulator URL
    /// (`http://host:port/account/container/blob`) the account appears twice, as Azurite expects.
    func canonicalizedResource(url: String) -> String {
        let afterScheme = url.firstRange(of: "://").map { url[$0.upperBound...] } ?? url[...]
        let pathAndQuery = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        let path = pathAndQuery.prefix { $0 != "?" }
        var resource = "/\(account)\(path.isEmpty ? "/" : String(path))"
        if let questionMark = pathAndQuery.firstIndex(of: "?") {
            var values: [String: [String]] = [:]
            for (name, value) in AzureText.queryPairs(pathAndQuery[pathAndQuery.index(after: questionMark)...]) {
                values[name.lowercased(), default: []].append(value)
            }
            for name in values.keys.sorted() {
                resource += "\n\(name):\(values[name, default: []].sorted().joined(separator: ","))"
            }
        }
        return resource
    }
}
