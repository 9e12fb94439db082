/// Credentials from the ECS task / EKS Pod Identity endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
/// (under `http://169.254.170.2`) or AWS_CONTAINER_CREDENTIALS_FULL_URI, authorised by the contents
/// of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or else AWS_CONTAINER_AUTHORIZATION_TOKEN.
public struct ContainerCredentialProvider: AWSCredentialSource {
    public static let ecsHost = "http://169.254.170.2"
    /// Plain-HTTP full URIs may only point here: the token and the answer must not cross a network.
    private static let allowedHTTPHosts: Set<String> = [
        "localhost", "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]", "[::1]",
    ]

    public let environment: Environment
    public let transport: any HTTPTransport
    public let timeout: Duration

    public init(environment: Environment, transport: any HTTPTransport, timeout: Duration = .seconds(2)) {
        self.environment = environment
        self.transport = transport
        self.timeout = timeout
    }

    public var sourceName: String { "container credentials endpoint" }

    public func resolveCredentials() async throws -> AWSCredentials? {
        let url: String
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] {
            url = Self.ecsHost + (relative.hasPrefix("/") ? relative : "/" + relative)
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] {
            try Self.checkFullURI(full)
            url = full
        } else {
            return nil
        }

        var token: String?
        if let tokenFile = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] {
            // Re-read every time: EKS rotates the file.
            guard let path = AWSLocalFile.expandingHome(tokenFile, environment: environment),
                let text = try AWSLocalFile.read(path)
            else {
                throw StorageError(.invalidRequest, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile) does not exist")
            }
            token = AWSConfigFiles.trim(text)
        } else {
            token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        }
        var headers: [(name: String, value: String)] = [(name: "Accept", value: "application/json")]
        if let token, !token.isEmpty {
            guard !token.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw StorageError(.invalidRequest, "The container authorization token contains a line break")
            }
            headers.append((name: "Authorization", value: token))
        }

        return try await AWSCredentialDocument.fetch(
            HTTPRequest(method: "GET", url: url, headers: headers), transport: transport, timeout: timeout,
            place: "the container credentials endpoint \(url)", source: "The container credentials endpoint"
        ) { response in
            let kind: StorageError.Kind =
                response.status == 401 || response.status == 403 ? .accessDenied
                : response.status >= 500 ? .unreachable : .failed
            let detail = AWSErrorText.sanitized(String(decoding: response.body, as: UTF8.self), hiding: [token ?? ""], limit: 200)
            return StorageError(
                kind, "The container credentials endpoint \(url) answered HTTP \(response.status)"
                    + (detail.isEmpty ? "" : ": \(detail)"))
        }
    }

    /// HTTPS may go anywhere; HTTP only to loopback or the link-local container agents.
    private static func checkFullURI(_ uri: String) throws {
        let lower = uri.lowercased()
        if lower.hasPrefix("https://") { return }
        guard lower.hasPrefix("http://") else {
            throw StorageError(.invalidRequest, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http(s) URL")
        }
        var authority = lower.dropFirst("http://".count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = authority
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") { host = authority[..<colon] }
        guard allowedHTTPHosts.contains(String(host)) || host.hasPrefix("127.") else {
            throw StorageError(
                .invalidRequest,
                "AWS_CONTAINER_CREDENTIALS_FULL_URI over plain HTTP must point to a loopback or container agent address")
        }
    }
}
