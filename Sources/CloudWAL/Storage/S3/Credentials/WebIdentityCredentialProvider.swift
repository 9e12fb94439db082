import Glibc

/// Credentials for a role assumed with a web identity token (EKS IRSA and similar): STS
/// `AssumeRoleWithWebIdentity`, configured by AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN
/// (AWS_ROLE_SESSION_NAME optional). The call is unsigned: the token is the proof.
public struct WebIdentityCredentialProvider: AWSCredentialSource {
    public let environment: Environment
    /// Region of the STS endpoint; nil uses the global `sts.amazonaws.com`.
    public let region: String?
    public let transport: any HTTPTransport
    public let timeout: Duration

    public init(environment: Environment, region: String?, transport: any HTTPTransport, timeout: Duration = .seconds(10)) {
        self.environment = environment
        self.region = region
        self.transport = transport
        self.timeout = timeout
    }

    public var sourceName: String { "web identity (AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN)" }

    /// `https://sts.<region>.amazonaws.com/` (`.com.cn` in China), or the global endpoint.
    public var endpoint: String {
        guard let region else { return "https://sts.amazonaws.com/" }
        return region.hasPrefix("cn-") ? "https://sts.\(region).amazonaws.com.cn/" : "https://sts.\(region).amazonaws.com/"
    }

    public func resolveCredentials() async throws -> AWSCredentials? {
        guard let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], let roleARN = environment["AWS_ROLE_ARN"] else {
            return nil
        }
        // Read on every call: the token file is rotated by the platform.
        guard let path = AWSLocalFile.expandingHome(tokenFile, environment: environment),
            let tokenText = try AWSLocalFile.read(path)
        else {
            throw StorageError(.invalidRequest, "AWS_WEB_IDENTITY_TOKEN_FILE \(tokenFile) does not exist")
        }
        let token = AWSConfigFiles.trim(tokenText)
        guard !token.isEmpty else {
            throw StorageError(.invalidRequest, "AWS_WEB_IDENTITY_TOKEN_FILE \(tokenFile) is empty")
        }
        let sessionName = environment["AWS_ROLE_SESSION_NAME"] ?? "cloud-wal-\(getpid())"

        // POST keeps the token out of URLs, which proxies and access logs record.
        let form = [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName), ("WebIdentityToken", token),
        ].map { AWSURIEncoding.encode($0.0, keepSlash: false) + "=" + AWSURIEncoding.encode($0.1, keepSlash: false) }
            .joined(separator: "&")
        let request = HTTPRequest(
            method: "POST", url: endpoint,
            headers: [(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")],
            body: Array(form.utf8))

        let response: HTTPResponse
        do {
            response = try await transport.send(request, timeout: timeout, maxResponseBytes: 256 << 10)
        } catch let error as HTTPTransportError {
            throw StorageError(.unreachable, "Cannot reach STS at \(endpoint): \(AWSErrorText.sanitized(error.message, hiding: [token]))")
        }
        let xml = String(decoding: response.body, as: UTF8.self)
        guard response.status == 200 else {
            let code = AWSQueryXML.firstValue(of: "Code", in: xml) ?? "HTTP \(response.status)"
            let message = AWSQueryXML.firstValue(of: "Message", in: xml).map { ": " + $0 } ?? ""
            // Throttling and outages may pass; a refused token or role will not.
            let kind: StorageError.Kind = response.status >= 500 || code == "Throttling" ? .unreachable : .accessDenied
            throw StorageError(
                kind,
                AWSErrorText.sanitized(
                    "STS AssumeRoleWithWebIdentity for \(roleARN) failed: \(code)\(message)", hiding: [token]))
        }
        guard let accessKey = AWSQueryXML.firstValue(of: "AccessKeyId", in: xml),
            let secretKey = AWSQueryXML.firstValue(of: "SecretAccessKey", in: xml),
            let sessionToken = AWSQueryXML.firstValue(of: "SessionToken", in: xml),
            !accessKey.isEmpty, !secretKey.isEmpty
        else {
            throw StorageError(.failed, "STS AssumeRoleWithWebIdentity for \(roleARN) returned no credentials")
        }
        let expiration = AWSQueryXML.firstValue(of: "Expiration", in: xml).flatMap(AWSTimestamp.parseISO8601)
        guard let expiration else {
            throw StorageError(.failed, "STS AssumeRoleWithWebIdentity for \(roleARN) returned no readable Expiration")
        }
        return AWSCredentials(
            accessKeyID: AWSConfigFiles.trim(accessKey), secretAccessKey: AWSConfigFiles.trim(secretKey),
            sessionToken: AWSConfigFiles.trim(sessionToken), expiration: expiration)
    }
}
