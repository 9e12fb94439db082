import CloudWAL
import Foundation
import Testing

@Suite("Azure credential order and token sources")
struct AzureCredentialTests {
    static let key = AzureSharedKeyTests.key
    static let url = "https://acct.blob.core.windows.net"

    static func resolve(
        _ env: [String: String], explicit: CloudOptions.AzureCredential? = nil, url: String = url, emulator: Bool = false
    ) throws -> AzureCredentialResolver.Resolved {
        try AzureCredentialResolver.resolve(
            urlEndpoint: url, isEmulator: emulator, explicit: explicit, environment: Environment(env),
            transport: AzureScriptedTransport { _ in HTTPResponse(status: 500) })
    }

    static func describe(_ authorization: AzureAuthorization) -> String {
        switch authorization {
        case .sharedKey(let signer): "key:\(signer.account)"
        case .sas(let token): "sas:\(token)"
        case .bearer(let provider): "bearer:\(provider.sourceName)"
        }
    }

    @Test func explicitCredentialWinsOverEverything() throws {
        let env = ["AZURE_STORAGE_CONNECTION_STRING": "AccountName=x;AccountKey=\(Self.key)", "AZURE_STORAGE_KEY": Self.key]
        #expect(Self.describe(try Self.resolve(env, explicit: .azureCLI).authorization) == "bearer:Azure CLI")
        #expect(Self.describe(try Self.resolve(env, explicit: .managedIdentity).authorization) == "bearer:managed identity")
        #expect(Self.describe(try Self.resolve(env, explicit: .defaultChain).authorization) == "bearer:DefaultAzureCredential")
    }

    @Test func connectionStringThenSASThenKeyThenDefault() throws {
        var env = [
            "AZURE_STORAGE_CONNECTION_STRING": "AccountName=cs;AccountKey=\(Self.key);BlobEndpoint=http://127.0.0.1:1/cs",
            "AZURE_STORAGE_SAS_TOKEN": "?sv=1&sig=s", "AZURE_STORAGE_KEY": Self.key,
        ]
        var resolved = try Self.resolve(env)
        #expect(Self.describe(resolved.authorization) == "key:cs")
        #expect(resolved.endpoint == "http://127.0.0.1:1/cs")
        env["AZURE_STORAGE_CONNECTION_STRING"] = nil
        resolved = try Self.resolve(env)
        #expect(Self.describe(resolved.authorization) == "sas:sv=1&sig=s")
        #expect(resolved.endpoint == Self.url)
        env["AZURE_STORAGE_SAS_TOKEN"] = nil
        #expect(Self.describe(try Self.resolve(env).authorization) == "key:acct")
        env["AZURE_STORAGE_KEY"] = nil
        #expect(Self.describe(try Self.resolve(env).authorization) == "bearer:DefaultAzureCredential")
    }

    @Test func emulatorURLNeedsAConnectionString() throws {
        #expect(throws: StorageError.self) {
            _ = try Self.resolve(["AZURE_STORAGE_KEY": Self.key], url: "http://127.0.0.1:1/devstoreaccount1", emulator: true)
        }
        let resolved = try Self.resolve(
            ["AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"], url: "http://127.0.0.1:1/devstoreaccount1",
            emulator: true)
        #expect(Self.describe(resolved.authorization) == "key:devstoreaccount1")
    }

    @Test func clientSecretRequestShapeAndSecretNeverInErrors() async throws {
        let env = Environment([
            "AZURE_TENANT_ID": "tenant-1", "AZURE_CLIENT_ID": "client-1", "AZURE_CLIENT_SECRET": "s3cr3t-value",
        ])
        let good = AzureScriptedTransport { _ in
            HTTPResponse(status: 200, body: Array(#"{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0"}"#.utf8))
        }
        let token = try #require(try await AzureClientSecretSource(environment: env, transport: good, now: { 1000 }).resolveToken())
        #expect(token == AzureAccessToken(token: "eyJ0", expiresOn: 4599))
        let request = try #require(await good.requests.first)
        #expect(request.url == "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token")
        #expect(String(decoding: request.body, as: UTF8.self)
            == "grant_type=client_credentials&client_id=client-1&client_secret=s3cr3t-value&scope=https%3A%2F%2Fstorage.azure.com%2F.default")

        let refused = AzureScriptedTransport { _ in
            HTTPResponse(status: 401, body: Array(#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret s3cr3t-value provided.\r\nTrace ID: 1"}"#.utf8))
        }
        do {
            _ = try await AzureClientSecretSource(environment: env, transport: refused).resolveToken()
            Issue.record("no error")
        } catch let error as StorageError {
            #expect(error.kind == .accessDenied)
            #expect(error.message.contains("invalid_client"))
            #expect(!error.message.contains("s3cr3t-value"))
        }
        // Not configured: the chain moves on.
        #expect(try await AzureClientSecretSource(environment: Environment([:]), transport: good).resolveToken() == nil)
    }

    @Test func managedIdentityRequestAndAbsence() async throws {
        let imds = AzureScriptedTransport { _ in
            HTTPResponse(status: 200, body: Array(#"{"access_token":"mi","expires_on":"1700003600","resource":"https://storage.azure.com/"}"#.utf8))
        }
        let token = try #require(
            try await AzureManagedIdentitySource(environment: Environment(["AZURE_CLIENT_ID": "u1"]), transport: imds, required: false)
                .resolveToken())
        #expect(token == AzureAccessToken(token: "mi", expiresOn: 1_700_003_600))
        let request = try #require(await imds.requests.first)
        #expect(request.url == "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F&client_id=u1")
        #expect(request.header("Metadata") == "true")

        let nothing = AzureScriptedTransport { _ in throw HTTPTransportError(.timedOut, "timed out") }
        #expect(try await AzureManagedIdentitySource(environment: Environment([:]), transport: nothing, required: false).resolveToken() == nil)
        await #expect(throws: StorageError.self) {
            _ = try await AzureManagedIdentitySource(environment: Environment([:]), transport: nothing, required: true).resolveToken()
        }
    }

    @Test func azureCLIAbsentIsSkippedUnlessRequired() async throws {
        let env = Environment(["PATH": "/nonexistent"])
        #expect(try await AzureCLISource(environment: env, required: false).resolveToken() == nil)
        await #expect(throws: StorageError.self) { _ = try await AzureCLISource(environment: env, required: true).resolveToken() }
    }

    @Test func azureCLIOutputIsParsed() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let script = try dir.write(Array("""
            #!/bin/sh
            echo '{"accessToken": "cli-token", "expiresOn": "2023-11-14 23:13:20.000000", "expires_on": 1700003600, "tokenType": "Bearer"}'
            """.utf8), to: "az")
        _ = script.withCString { chmod($0, 0o755) }
        let token = try await AzureCLISource(environment: Environment(["PATH": dir.path]), required: true).resolveToken()
        #expect(token == AzureAccessToken(token: "cli-token", expiresOn: 1_700_003_600))
    }

    @Test func tokenCacheRefreshesFiveMinutesBeforeExpiry() async throws {
        final class Clock: @unchecked Sendable { var now = 1000 }
        actor Counting: AzureTokenProvider {
            var calls = 0
            nonisolated var sourceName: String { "counting" }
            func token() async throws -> AzureAccessToken {
                calls += 1
                return AzureAccessToken(token: "t\(calls)", expiresOn: 1000 + 3600 * calls)
            }
        }
        let clock = Clock()
        let provider = Counting()
        let cache = AzureTokenCache(provider: provider, now: { clock.now })
        #expect(try await cache.token().token == "t1")
        clock.now = 1000 + 3600 - 301
        #expect(try await cache.token().token == "t1")
        clock.now = 1000 + 3600 - 300
        #expect(try await cache.token().token == "t2")
        #expect(await provider.calls == 2)
    }
}
