import CloudWAL
import Foundation
import Testing

/// A transport that answers from a script and records what was asked.
private final class ScriptedCredentialTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [HTTPRequest] = []
    private let respond: @Sendable (HTTPRequest) throws -> HTTPResponse

    init(_ respond: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) {
        self.respond = respond
    }

    var requests: [HTTPRequest] { lock.withLock { recorded } }

    func send(_ request: HTTPRequest, timeout: Duration, maxResponseBytes: Int) async throws -> HTTPResponse {
        lock.withLock { recorded.append(request) }
        return try respond(request)
    }

    /// Every request fails to connect, like a machine that is not on EC2.
    static func unreachable() -> ScriptedCredentialTransport {
        ScriptedCredentialTransport { _ in throw HTTPTransportError(.connectFailed, "connection refused") }
    }
}

/// A clock the test moves by hand.
private final class AWSTestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Int
    init(_ seconds: Int) { self.seconds = seconds }
    var now: Int { lock.withLock { seconds } }
    func set(_ value: Int) { lock.withLock { seconds = value } }
}

/// A provider that counts its calls and hands out numbered credentials.
private final class AWSTestCountingProvider: AWSCredentialProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private let lifetime: Int?
    private let clock: AWSTestClock
    private var fails = false

    init(lifetime: Int?, clock: AWSTestClock) {
        self.lifetime = lifetime
        self.clock = clock
    }

    var calls: Int { lock.withLock { count } }
    var failing: Bool {
        get { lock.withLock { fails } }
        set { lock.withLock { fails = newValue } }
    }

    func credentials() async throws -> AWSCredentials {
        let (number, fail) = lock.withLock { () -> (Int, Bool) in
            count += 1
            return (count, fails)
        }
        if fail { throw StorageError(.unreachable, "refresh failed") }
        return AWSCredentials(
            accessKeyID: "AKID\(number)", secretAccessKey: "secret\(number)",
            expiration: lifetime.map { clock.now + $0 })
    }
}

private struct AWSTestTempDir {
    let path = NSTemporaryDirectory() + "cloud-wal-aws-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ text: String, to name: String) throws -> String {
        let file = "\(path)/\(name)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

private func credentialRequestForm(_ request: HTTPRequest) -> [String: String] {
    var fields: [String: String] = [:]
    for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        fields[String(parts[0])] = parts.count > 1 ? AWSURIEncoding.decode(parts[1]) : ""
    }
    return fields
}

private func credentialRequestHeader(_ request: HTTPRequest, _ name: String) -> String? {
    request.headers.first { $0.name.lowercased() == name.lowercased() }?.value
}

private func credentialStorageError(_ body: () async throws -> Void) async -> StorageError? {
    do {
        try await body()
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        return StorageError(.failed, "unexpected \(error)")
    }
}

@Suite struct AWSCredentialRedactionTests {
    @Test func renderingsHideSecrets() {
        let credentials = AWSCredentials(
            accessKeyID: "AKIDVISIBLE", secretAccessKey: "SECRET-KEY-VALUE", sessionToken: "SESSION-TOKEN-VALUE",
            expiration: 42)
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in ["\(credentials)", String(reflecting: credentials), String(describing: credentials), dumped] {
            #expect(!text.contains("SECRET-KEY-VALUE"))
            #expect(!text.contains("SESSION-TOKEN-VALUE"))
        }
        #expect("\(credentials)".contains("AKIDVISIBLE"))
        #expect("\(credentials)".contains("<redacted>"))
    }
}

@Suite struct EnvironmentCredentialTests {
    @Test func readsTheThreeVariables() async throws {
        let provider = EnvironmentCredentialProvider(environment: Environment([
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET", "AWS_SESSION_TOKEN": "TOKEN",
        ]))
        let credentials = try await provider.credentials()
        #expect(credentials == AWSCredentials(accessKeyID: "AKID", secretAccessKey: "SECRET", sessionToken: "TOKEN"))
    }

    @Test func absentIsNilAndHalfIsAnError() async throws {
        #expect(try await EnvironmentCredentialProvider(environment: Environment([:])).resolveCredentials() == nil)
        let error = await credentialStorageError {
            _ = try await EnvironmentCredentialProvider(environment: Environment(["AWS_ACCESS_KEY_ID": "AKID"]))
                .resolveCredentials()
        }
        #expect(error?.kind == .invalidRequest)
    }
}

@Suite struct ProfileCredentialTests {
    static let credentialsFile = """
        # comment line
        ; another comment
        [default]
        aws_access_key_id = DEFAULTKEY
        aws_secret_access_key=DEFAULTSECRET   

          [prod]  
        AWS_Access_Key_ID   =   PRODKEY  # inline comment
        aws_secret_access_key = PROD/SECRET+KEY==
        aws_session_token = PRODTOKEN

        [profile literal]
        aws_access_key_id = LITERAL
        aws_secret_access_key = LITERALSECRET
        """
    static let configFile = """
        [default]
        region = eu-west-1

        [profile prod]
        region = eu-central-1
        aws_access_key_id = SHADOWED
        s3 =
          region = should-not-leak
        [profile configonly]
        aws_access_key_id = CONFIGKEY
        aws_secret_access_key = CONFIGSECRET
        region=ap-south-1 ; trailing
        [staging]
        aws_access_key_id = NOTAPROFILE
        aws_secret_access_key = NOTAPROFILE
        [profile sso]
        sso_session = corp
        [profile regiononly]
        region = us-west-2
        """

    fileprivate static func environment(_ dir: AWSTestTempDir, _ extra: [String: String] = [:]) throws -> Environment {
        var values = [
            "AWS_SHARED_CREDENTIALS_FILE": try dir.write(credentialsFile, to: "credentials"),
            "AWS_CONFIG_FILE": try dir.write(configFile, to: "config"),
            "HOME": "/nonexistent",
        ]
        values.merge(extra) { _, new in new }
        return Environment(values)
    }

    @Test func defaultProfileAndCredentialsFileWins() async throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        let environment = try Self.environment(dir)
        let fallback = try await ProfileCredentialProvider(environment: environment, profile: nil).credentials()
        #expect(fallback == AWSCredentials(accessKeyID: "DEFAULTKEY", secretAccessKey: "DEFAULTSECRET"))

        let prod = ProfileCredentialProvider(environment: environment, profile: "prod")
        #expect(try await prod.credentials()
            == AWSCredentials(accessKeyID: "PRODKEY", secretAccessKey: "PROD/SECRET+KEY==", sessionToken: "PRODTOKEN"))
        #expect(try prod.region() == "eu-central-1")
        #expect(try ProfileCredentialProvider(environment: environment, profile: nil).region() == "eu-west-1")
    }

    @Test func configFileProfilesNeedThePrefix() async throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        let environment = try Self.environment(dir)
        let configOnly = ProfileCredentialProvider(environment: environment, profile: "configonly")
        #expect(try await configOnly.credentials().accessKeyID == "CONFIGKEY")
        #expect(try configOnly.region() == "ap-south-1")
        // `[staging]` in the config file is not a profile; `[profile literal]` in the credentials file is named so.
        #expect(await credentialStorageError { _ = try await ProfileCredentialProvider(environment: environment, profile: "staging").credentials() }?.kind == .invalidRequest)
        #expect(try await ProfileCredentialProvider(environment: environment, profile: "profile literal").credentials().accessKeyID == "LITERAL")
    }

    @Test func awsProfileSelectsAndMissingNamedProfileFails() async throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        let viaEnvironment = ProfileCredentialProvider(environment: try Self.environment(dir, ["AWS_PROFILE": "prod"]), profile: nil)
        #expect(try await viaEnvironment.credentials().accessKeyID == "PRODKEY")
        // The option beats AWS_PROFILE.
        let optionWins = ProfileCredentialProvider(environment: try Self.environment(dir, ["AWS_PROFILE": "prod"]), profile: "default")
        #expect(try await optionWins.credentials().accessKeyID == "DEFAULTKEY")

        let error = await credentialStorageError {
            _ = try await ProfileCredentialProvider(environment: try Self.environment(dir), profile: "nope").credentials()
        }
        #expect(error?.kind == .invalidRequest)
        #expect(error?.message.hasPrefix("AWS profile 'nope' not found in ") == true)
        let fromVariable = await credentialStorageError {
            _ = try await ProfileCredentialProvider(environment: try Self.environment(dir, ["AWS_PROFILE": "nope"]), profile: nil)
                .resolveCredentials()
        }
        #expect(fromVariable?.kind == .invalidRequest)
    }

    @Test func unsupportedAndKeylessProfiles() async throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        let environment = try Self.environment(dir)
        let sso = await credentialStorageError { _ = try await ProfileCredentialProvider(environment: environment, profile: "sso").credentials() }
        #expect(sso?.message.contains("sso_session") == true)
        let regionOnly = await credentialStorageError { _ = try await ProfileCredentialProvider(environment: environment, profile: "regiononly").credentials() }
        #expect(regionOnly?.kind == .invalidRequest)
        // Reached through AWS_PROFILE in the chain, a settings-only profile just yields nothing.
        let viaVariable = ProfileCredentialProvider(environment: try Self.environment(dir, ["AWS_PROFILE": "regiononly"]), profile: nil)
        #expect(try await viaVariable.resolveCredentials() == nil)
    }

    @Test func missingFilesMeanNoDefaultProfile() async throws {
        let environment = Environment([
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials", "AWS_CONFIG_FILE": "/nonexistent/config",
        ])
        #expect(try await ProfileCredentialProvider(environment: environment, profile: nil).resolveCredentials() == nil)
    }

    @Test func homeIsExpanded() async throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/.aws", withIntermediateDirectories: true)
        _ = try dir.write("[default]\naws_access_key_id=HOMEKEY\naws_secret_access_key=HOMESECRET\n", to: ".aws/credentials")
        let provider = ProfileCredentialProvider(environment: Environment(["HOME": dir.path]), profile: nil)
        #expect(try await provider.credentials().accessKeyID == "HOMEKEY")
    }

    @Test func configFilesParseInMemory() {
        let files = AWSConfigFiles(credentialsText: "[a]\nx = 1\n[a]\ny = 2\n", configText: "[profile a]\nx = 0\nz = 3\n")
        #expect(files.profile("a") == ["x": "1", "y": "2", "z": "3"])
        #expect(files.profile("b") == nil)
    }
}

@Suite struct AWSRegionTests {
    @Test func resolutionOrder() throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        let config = try dir.write("[default]\nregion = eu-west-3\n[profile p]\nregion = sa-east-1\n", to: "config")
        let base = ["AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"]
        func resolve(_ extra: [String: String], profile: String? = nil) -> String {
            AWSRegion.resolve(environment: Environment(base.merging(extra) { _, new in new }), profile: profile)
        }
        #expect(resolve(["AWS_REGION": "ap-east-1", "AWS_DEFAULT_REGION": "us-west-1"]) == "ap-east-1")
        #expect(resolve(["AWS_DEFAULT_REGION": "us-west-1"]) == "us-west-1")
        #expect(resolve([:]) == "eu-west-3")
        #expect(resolve([:], profile: "p") == "sa-east-1")
        #expect(resolve(["AWS_PROFILE": "p"]) == "sa-east-1")
        #expect(AWSRegion.resolve(environment: Environment(["HOME": "/nonexistent"]), profile: nil) == "us-east-1")
    }
}

@Suite struct WebIdentityCredentialTests {
    static let success = """
        <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleWithWebIdentityResult>
            <SubjectFromWebIdentityToken>system:serviceaccount:db:pg</SubjectFromWebIdentityToken>
            <Credentials>
              <SessionToken>FwoGZXIvYXdzEXAMPLE&amp;TOKEN</SessionToken>
              <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
              <Expiration>2014-10-24T23:00:23Z</Expiration>
              <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
            </Credentials>
          </AssumeRoleWithWebIdentityResult>
        </AssumeRoleWithWebIdentityResponse>
        """

    fileprivate static func environment(_ dir: AWSTestTempDir) throws -> Environment {
        Environment([
            "AWS_WEB_IDENTITY_TOKEN_FILE": try dir.write("eyJ.web-identity-token.sig\n", to: "token"),
            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/pg-archiver",
            "AWS_ROLE_SESSION_NAME": "pg one",
        ])
    }

    @Test func assumesTheRoleWithTheTokenFile() async throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        let transport = ScriptedCredentialTransport { _ in HTTPResponse(status: 200, body: Array(Self.success.utf8)) }
        let provider = WebIdentityCredentialProvider(environment: try Self.environment(dir), region: "eu-west-1", transport: transport)
        let credentials = try await provider.credentials()
        #expect(credentials == AWSCredentials(
            accessKeyID: "ASgeIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
            sessionToken: "FwoGZXIvYXdzEXAMPLE&TOKEN", expiration: 1_414_191_623))

        let request = try #require(transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.url == "https://sts.eu-west-1.amazonaws.com/")
        #expect(credentialRequestHeader(request, "authorization") == nil)
        #expect(credentialRequestForm(request) == [
            "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
            "RoleArn": "arn:aws:iam::123456789012:role/pg-archiver", "RoleSessionName": "pg one",
            "WebIdentityToken": "eyJ.web-identity-token.sig",
        ])
        #expect(!request.url.contains("web-identity-token"))
    }

    @Test func stsErrorIsAccessDeniedWithItsMessage() async throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        let errorXML = """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>
              <Message>Token eyJ.web-identity-token.sig is expired &amp; invalid</Message></Error>
              <RequestId>c6104cbe</RequestId>
            </ErrorResponse>
            """
        let transport = ScriptedCredentialTransport { _ in HTTPResponse(status: 400, body: Array(errorXML.utf8)) }
        let provider = WebIdentityCredentialProvider(environment: try Self.environment(dir), region: nil, transport: transport)
        let error = await credentialStorageError { _ = try await provider.credentials() }
        #expect(error?.kind == .accessDenied)
        #expect(error?.message.contains("InvalidIdentityToken: Token <redacted> is expired & invalid") == true)
        #expect(error?.message.contains("web-identity-token") == false)
        #expect(transport.requests.first?.url == "https://sts.amazonaws.com/")
    }

    @Test func transportFailureIsUnreachableAndUnconfiguredIsNil() async throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        let provider = WebIdentityCredentialProvider(
            environment: try Self.environment(dir), region: "us-east-1", transport: ScriptedCredentialTransport.unreachable())
        let error = await credentialStorageError { _ = try await provider.credentials() }
        #expect(error?.kind == .unreachable)
        #expect(error?.message.contains("sts.us-east-1.amazonaws.com") == true)

        let unconfigured = WebIdentityCredentialProvider(
            environment: Environment(["AWS_ROLE_ARN": "arn"]), region: nil, transport: ScriptedCredentialTransport.unreachable())
        #expect(try await unconfigured.resolveCredentials() == nil)
    }
}

@Suite struct ContainerCredentialTests {
    static let document = #"{"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"c0nta1ner\/secret","Token":"TOKEN\u0041","Expiration":"2030-01-01T00:00:00Z","RoleArn":"arn:aws:iam::1:role/x"}"#

    @Test func relativeURIWithAuthorizationToken() async throws {
        let transport = ScriptedCredentialTransport { _ in HTTPResponse(status: 200, body: Array(Self.document.utf8)) }
        let provider = ContainerCredentialProvider(
            environment: Environment([
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Basic c2VjcmV0",
            ]), transport: transport)
        let credentials = try await provider.credentials()
        #expect(credentials == AWSCredentials(
            accessKeyID: "ASIACONTAINER", secretAccessKey: "c0nta1ner/secret", sessionToken: "TOKENA",
            expiration: 1_893_456_000))
        let request = try #require(transport.requests.first)
        #expect(request.method == "GET")
        #expect(request.url == "http://169.254.170.2/v2/credentials/abc")
        #expect(credentialRequestHeader(request, "Authorization") == "Basic c2VjcmV0")
    }

    @Test func fullURIWithTokenFile() async throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        let transport = ScriptedCredentialTransport { _ in HTTPResponse(status: 200, body: Array(Self.document.utf8)) }
        let provider = ContainerCredentialProvider(
            environment: Environment([
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": try dir.write("from-file-token\n", to: "token"),
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "from-variable",
            ]), transport: transport)
        _ = try await provider.credentials()
        #expect(transport.requests.first?.url == "http://169.254.170.23/v1/credentials")
        #expect(transport.requests.first.flatMap { credentialRequestHeader($0, "Authorization") } == "from-file-token")
    }

    @Test func plainHTTPToARemoteHostIsRefused() async {
        let transport = ScriptedCredentialTransport { _ in HTTPResponse(status: 200, body: Array(Self.document.utf8)) }
        let provider = ContainerCredentialProvider(
            environment: Environment(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://evil.example.com/creds"]),
            transport: transport)
        let error = await credentialStorageError { _ = try await provider.credentials() }
        #expect(error?.kind == .invalidRequest)
        #expect(transport.requests.isEmpty)
    }

    @Test func errorStatusAndTransportFailure() async {
        let environment = Environment(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/creds"])
        let refused = ContainerCredentialProvider(
            environment: environment,
            transport: ScriptedCredentialTransport { _ in HTTPResponse(status: 403, body: Array("forbidden".utf8)) })
        #expect(await credentialStorageError { _ = try await refused.credentials() }?.kind == .accessDenied)
        let down = ContainerCredentialProvider(environment: environment, transport: ScriptedCredentialTransport.unreachable())
        let error = await credentialStorageError { _ = try await down.credentials() }
        #expect(error?.kind == .unreachable)
        #expect(error?.message.contains("169.254.170.2") == true)
    }
}

@Suite struct InstanceMetadataCredentialTests {
    static let document = """
        {
          "Code" : "Success",
          "LastUpdated" : "2024-05-01T10:00:00Z",
          "Type" : "AWS-HMAC",
          "AccessKeyId" : "ASIAIMDS",
          "SecretAccessKey" : "imds-secret",
          "Token" : "imds-token",
          "Expiration" : "2024-05-01T16:00:00Z"
        }
        """

    static func imds(_ request: HTTPRequest) -> HTTPResponse {
        switch (request.method, request.url) {
        case ("PUT", "http://169.254.169.254/latest/api/token"):
            return HTTPResponse(status: 200, body: Array("SESSION-TOKEN".utf8))
        case ("GET", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"):
            return HTTPResponse(status: 200, body: Array("pg-role\n".utf8))
        case ("GET", "http://169.254.169.254/latest/meta-data/iam/security-credentials/pg-role"):
            return HTTPResponse(status: 200, body: Array(document.utf8))
        default:
            return HTTPResponse(status: 404)
        }
    }

    @Test func tokenThenRoleThenCredentials() async throws {
        let transport = ScriptedCredentialTransport(Self.imds)
        let provider = InstanceMetadataCredentialProvider(environment: Environment([:]), transport: transport)
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyID == "ASIAIMDS")
        #expect(credentials.sessionToken == "imds-token")
        #expect(credentials.expiration == AWSTimestamp.parseISO8601("2024-05-01T16:00:00Z"))

        let requests = transport.requests
        #expect(requests.map(\.method) == ["PUT", "GET", "GET"])
        #expect(credentialRequestHeader(requests[0], "X-aws-ec2-metadata-token-ttl-seconds") == "21600")
        #expect(credentialRequestHeader(requests[0], "X-aws-ec2-metadata-token") == nil)
        #expect(credentialRequestHeader(requests[1], "X-aws-ec2-metadata-token") == "SESSION-TOKEN")
        #expect(credentialRequestHeader(requests[2], "X-aws-ec2-metadata-token") == "SESSION-TOKEN")
    }

    @Test func customEndpointAndDisabling() async throws {
        let transport = ScriptedCredentialTransport { request in
            var rewritten = request
            rewritten.url = request.url.replacingOccurrences(of: "http://[fd00:ec2::254]", with: "http://169.254.169.254")
            return Self.imds(rewritten)
        }
        let provider = InstanceMetadataCredentialProvider(
            environment: Environment(["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://[fd00:ec2::254]/"]), transport: transport)
        #expect(try await provider.credentials().accessKeyID == "ASIAIMDS")
        #expect(transport.requests.first?.url == "http://[fd00:ec2::254]/latest/api/token")

        let off = ScriptedCredentialTransport(Self.imds)
        let disabled = InstanceMetadataCredentialProvider(environment: Environment(["AWS_EC2_METADATA_DISABLED": "true"]), transport: off)
        #expect(try await disabled.resolveCredentials() == nil)
        #expect(off.requests.isEmpty)
    }

    @Test func notOnEC2IsNilAndFailedRoleFetchIsAnError() async throws {
        let absent = InstanceMetadataCredentialProvider(environment: Environment([:]), transport: ScriptedCredentialTransport.unreachable())
        #expect(try await absent.resolveCredentials() == nil)

        let failing = ScriptedCredentialTransport { request in
            request.url.hasSuffix("/pg-role")
                ? HTTPResponse(status: 200, body: Array(#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"}"#.utf8))
                : Self.imds(request)
        }
        let error = await credentialStorageError {
            _ = try await InstanceMetadataCredentialProvider(environment: Environment([:]), transport: failing).credentials()
        }
        #expect(error?.kind == .accessDenied)
        #expect(error?.message.contains("AssumeRoleUnauthorizedAccess") == true)
    }
}

@Suite struct AWSCredentialChainTests {
    static let emptyFiles = ["AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/c", "AWS_CONFIG_FILE": "/nonexistent/f"]

    @Test func environmentComesFirst() async throws {
        let dir = try AWSTestTempDir()
        defer { dir.remove() }
        let credentialsFile = try dir.write("[default]\naws_access_key_id=FILEKEY\naws_secret_access_key=FILESECRET\n", to: "c")
        let transport = ScriptedCredentialTransport(InstanceMetadataCredentialTests.imds)
        var values = ["AWS_SHARED_CREDENTIALS_FILE": credentialsFile, "AWS_CONFIG_FILE": "/nonexistent/f"]
        values["AWS_ACCESS_KEY_ID"] = "ENVKEY"
        values["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET"
        let withEnvironment = AWSCredentialChain.standard(environment: Environment(values), profile: nil, transport: transport)
        #expect(try await withEnvironment.credentials().accessKeyID == "ENVKEY")

        values["AWS_ACCESS_KEY_ID"] = nil
        values["AWS_SECRET_ACCESS_KEY"] = nil
        let withFiles = AWSCredentialChain.standard(environment: Environment(values), profile: nil, transport: transport)
        #expect(try await withFiles.credentials().accessKeyID == "FILEKEY")
        #expect(transport.requests.isEmpty)
    }

    @Test func explicitProfileIgnoresEverythingElse() async throws {
        let values = Self.emptyFiles.merging(["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "ENVSECRET"]) { _, new in new }
        let chain = AWSCredentialChain.standard(
            environment: Environment(values), profile: "prod", transport: ScriptedCredentialTransport(InstanceMetadataCredentialTests.imds))
        let error = await credentialStorageError { _ = try await chain.credentials() }
        #expect(error?.kind == .invalidRequest)
        #expect(error?.message.hasPrefix("AWS profile 'prod' not found") == true)
    }

    @Test func fallsThroughToInstanceMetadata() async throws {
        let transport = ScriptedCredentialTransport(InstanceMetadataCredentialTests.imds)
        let chain = AWSCredentialChain.standard(environment: Environment(Self.emptyFiles), profile: nil, transport: transport)
        #expect(try await chain.credentials().accessKeyID == "ASIAIMDS")
    }

    @Test func containerBeforeInstanceMetadata() async throws {
        let transport = ScriptedCredentialTransport { request in
            request.url.hasPrefix("http://169.254.170.2")
                ? HTTPResponse(status: 200, body: Array(ContainerCredentialTests.document.utf8))
                : InstanceMetadataCredentialTests.imds(request)
        }
        let environment = Environment(Self.emptyFiles.merging(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/c"]) { _, new in new })
        let chain = AWSCredentialChain.standard(environment: environment, profile: nil, transport: transport)
        #expect(try await chain.credentials().accessKeyID == "ASIACONTAINER")
        #expect(transport.requests.count == 1)
    }

    @Test func nothingConfiguredIsAClearError() async {
        let chain = AWSCredentialChain.standard(
            environment: Environment(Self.emptyFiles), profile: nil, transport: ScriptedCredentialTransport.unreachable())
        let error = await credentialStorageError { _ = try await chain.credentials() }
        #expect(error?.kind == .accessDenied)
        #expect(error?.message.hasPrefix("No AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY") == true)
    }
}

@Suite struct AWSCredentialCacheTests {
    @Test func refreshesFiveMinutesBeforeExpiry() async throws {
        let clock = AWSTestClock(1_000)
        let provider = AWSTestCountingProvider(lifetime: 3_600, clock: clock)
        let cache = AWSCredentialCache(provider: provider, now: { clock.now })
        #expect(try await cache.credentials().accessKeyID == "AKID1")  // expires at 4_600
        clock.set(4_299)
        #expect(try await cache.credentials().accessKeyID == "AKID1")
        clock.set(4_300)
        #expect(try await cache.credentials().accessKeyID == "AKID2")
        #expect(provider.calls == 2)
    }

    @Test func failedEarlyRefreshKeepsValidCredentials() async throws {
        let clock = AWSTestClock(0)
        let provider = AWSTestCountingProvider(lifetime: 600, clock: clock)
        let cache = AWSCredentialCache(provider: provider, now: { clock.now })
        _ = try await cache.credentials()
        provider.failing = true
        clock.set(400)  // inside the margin, not expired
        #expect(try await cache.credentials().accessKeyID == "AKID1")
        clock.set(600)  // expired: the failure surfaces
        let error = await credentialStorageError { _ = try await cache.credentials() }
        #expect(error?.kind == .unreachable)
    }

    @Test func longLivedCredentialsAreFetchedOnceEvenConcurrently() async throws {
        let clock = AWSTestClock(0)
        let provider = AWSTestCountingProvider(lifetime: nil, clock: clock)
        let cache = AWSCredentialCache(provider: provider, now: { clock.now })
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await cache.credentials().accessKeyID } }
            for try await key in group { #expect(key == "AKID1") }
        }
        clock.set(10_000_000)
        _ = try await cache.credentials()
        #expect(provider.calls == 1)
        await cache.invalidate()
        #expect(try await cache.credentials().accessKeyID == "AKID2")
    }
}
