/// The EC2 instance role through the instance metadata service, IMDSv2 style: a session token
/// from `PUT /latest/api/token`, then the role name and its credentials. The last resort of the
/// chain, so it waits little and "nothing answers" simply means "not on EC2".
public struct InstanceMetadataCredentialProvider: AWSCredentialSource {
    public static let defaultEndpoint = "http://169.254.169.254"
    static let credentialsPath = "/latest/meta-data/iam/security-credentials/"

    public let environment: Environment
    public let transport: any HTTPTransport
    public let timeout: Duration

    public init(environment: Environment, transport: any HTTPTransport, timeout: Duration = .seconds(1)) {
        self.environment = environment
        self.transport = transport
        self.timeout = timeout
    }

    public var sourceName: String { "EC2 instance metadata" }

    /// AWS_EC2_METADATA_SERVICE_ENDPOINT or the link-local default, without a trailing slash.
    public var endpoint: String {
        var endpoint = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? Self.defaultEndpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        return endpoint
    }

    public func resolveCredentials() async throws -> AWSCredentials? {
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" { return nil }

        let tokenResponse = try? await send(
            "PUT", Self.tokenPath, headers: [(name: "X-aws-ec2-metadata-token-ttl-seconds", value: "21600")])
        guard let tokenResponse else { return nil }  // no metadata service: not on EC2
        var headers: [(name: String, value: String)] = []
        switch tokenResponse.status {
        case 200:
            let token = AWSConfigFiles.trim(String(decoding: tokenResponse.body, as: UTF8.self))
            if !token.isEmpty { headers.append((name: "X-aws-ec2-metadata-token", value: token)) }
        case 403, 404, 405:
            break  // IMDSv2 unavailable (old endpoint emulators); IMDSv1 may still answer
        default:
            return nil
        }

        guard let roleResponse = try? await send("GET", Self.credentialsPath, headers: headers),
            roleResponse.status == 200
        else { return nil }  // no instance profile attached
        let role = AWSConfigFiles.trim(
            String(decoding: roleResponse.body, as: UTF8.self).split(whereSeparator: { $0 == "\n" }).first ?? "")
        guard !role.isEmpty else { return nil }

        // From here on the instance has a role: failing to fetch it is an error, not "absent".
        return try await AWSCredentialDocument.fetch(
            request("GET", Self.credentialsPath + AWSURIEncoding.encode(role, keepSlash: false), headers: headers),
            transport: transport, timeout: timeout, place: "EC2 instance metadata at \(endpoint)",
            source: "EC2 instance metadata"
        ) { response in
            StorageError(
                response.status >= 500 ? .unreachable : .accessDenied,
                "EC2 instance metadata answered HTTP \(response.status) for the credentials of role '\(role)'")
        }
    }

    static let tokenPath = "/latest/api/token"

    private func request(_ method: String, _ path: String, headers: [(name: String, value: String)]) -> HTTPRequest {
        HTTPRequest(method: method, url: endpoint + path, headers: headers)
    }

    private func send(_ method: String, _ path: String, headers: [(name: String, value: String)]) async throws -> HTTPResponse {
        try await transport.send(request(method, path, headers: headers), timeout: timeout, maxResponseBytes: 64 << 10)
    }
}
