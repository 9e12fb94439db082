import Crypto

/// AWS Signature Version 4 in the `Authorization` header, payload sent in one piece.
///
/// `sign` is idempotent: it first drops the headers it owns, so a retried request is simply signed
/// again (with a fresh date and, after a region redirect, a new region).
public struct SigV4Signer: Sendable {
    /// The `x-amz-content-sha256` value for a body that is not part of the signature.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of zero bytes, the payload hash of every body-less request.
    public static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let region: String
    public let service: String

    /// Headers the signer writes itself; stale copies from an earlier attempt are replaced.
    private static let ownedHeaders: Set<String> = [
        "host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "authorization",
    ]
    /// Headers proxies and the HTTP client may add, drop or rewrite on the way: signing them would
    /// make a correct request fail verification.
    private static let unsignedHeaders: Set<String> = [
        "authorization", "user-agent", "expect", "connection", "keep-alive", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade", "x-amzn-trace-id",
    ]

    public init(region: String, service: String = "s3") {
        self.region = region
        self.service = service
    }

    /// Adds `host`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with a session
    /// token) and `Authorization` to `request`. `payloadSHA256` is the lower-case hex SHA-256 of the
    /// body, or `unsignedPayload` (an empty string means the same).
    public func sign(_ request: inout HTTPRequest, credentials: AWSCredentials, payloadSHA256: String, at unixTime: Int) {
        let amzDate = AWSTimestamp.amzDate(unixTime)
        let day = String(amzDate.prefix(8))
        let payload = payloadSHA256.isEmpty ? Self.unsignedPayload : payloadSHA256
        let url = SigV4URL(request.url)

        request.headers.removeAll { Self.ownedHeaders.contains($0.name.lowercased()) }
        request.headers.append((name: "host", value: url.hostHeader))
        request.headers.append((name: "x-amz-date", value: amzDate))
        request.headers.append((name: "x-amz-content-sha256", value: payload))
        if let token = credentials.sessionToken, !token.isEmpty {
            request.headers.append((name: "x-amz-security-token", value: token))
        }

        let canonical = Self.canonicalRequest(request, payloadSHA256: payload)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SHA256.hash(data: Array(canonical.request.utf8)).hexString)"
        let signature = Self.hmac(signingKey(secret: credentials.secretAccessKey, day: day), stringToSign).hexString
        request.headers.append((
            name: "Authorization",
            value: "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
                + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
        ))
    }

    /// The canonical request of `request` as it stands (call after the signer's headers are in,
    /// or to debug a `SignatureDoesNotMatch` against S3's `CanonicalRequest`), and the signed
    /// header list.
    public static func canonicalRequest(_ request: HTTPRequest, payloadSHA256: String) -> (request: String, signedHeaders: String) {
        let url = SigV4URL(request.url)
        var values: [String: [String]] = [:]
        for header in request.headers {
            let name = header.name.lowercased()
            guard !unsignedHeaders.contains(name) else { continue }
            values[name, default: []].append(normalizedValue(header.value))
        }
        let names = values.keys.sorted()
        let headerLines = names.map { "\($0):\(values[$0, default: []].joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let text = [
            request.method.uppercased(),
            AWSURIEncoding.canonicalPath(url.path),
            AWSURIEncoding.canonicalQuery(url.query),
            headerLines,
            signedHeaders,
            payloadSHA256,
        ].joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request").
    private func signingKey(secret: String, day: String) -> [UInt8] {
        var key = Array(("AWS4" + secret).utf8)
        for part in [day, region, service, "aws4_request"] {
            key = Self.hmac(key, part)
        }
        return key
    }

    private static func hmac(_ key: [UInt8], _ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key)))
    }

    /// Trimmed, with inner runs of spaces and tabs collapsed to one space (SigV4's "trimall").
    private static func normalizedValue(_ value: String) -> String {
        var out: [UInt8] = []
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
            {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")) }
                pendingSpace = false
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The parts of an absolute URL the signer needs, split without Foundation.
struct SigV4URL {
    /// `host` or `host:port` when the port is not the scheme's default.
    let hostHeader: String
    /// Encoded path as written (may be empty).
    let path: Substring
    /// Encoded query without `?` (may be empty).
    let query: Substring

    init(_ url: String) {
        var rest = Substring(url)
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        var scheme = ""
        if let separator = rest.firstRange(of: "://") {
            scheme = rest[..<separator.lowerBound].lowercased()
            rest = rest[separator.upperBound...]
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let afterAuthority = rest[authorityEnd...]
        if let questionMark = afterAuthority.firstIndex(of: "?") {
            path = afterAuthority[..<questionMark]
            query = afterAuthority[afterAuthority.index(after: questionMark)...]
        } else {
            path = afterAuthority
            query = ""
        }

        // The port follows the last colon, unless that colon is inside an IPv6 literal.
        var host = authority
        var port: Substring = ""
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        let defaultPort = scheme == "http" ? "80" : scheme == "https" ? "443" : ""
        let lowerHost = host.lowercased()
        hostHeader = port.isEmpty || port == defaultPort ? lowerHost : "\(lowerHost):\(port)"
    }
}
