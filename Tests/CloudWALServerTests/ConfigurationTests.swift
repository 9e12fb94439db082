import CloudWAL
import CloudWALServer
import Foundation
import Testing

@Suite("Sidecar configuration: environment, destination, listening rules")
struct ConfigurationTests {
    @Test func environmentBecomesOptionsTheCommandLineDoesNotGive() throws {
        let env = Environment([
            "CLOUD_WAL_ZSTD": "true", "CLOUD_WAL_ENDPOINT_URL": "http://127.0.0.1:9000",
            "CLOUD_WAL_TAG": "a,1;b,2", "CLOUD_WAL_GZIP": "false", "CLOUD_WAL_READ_TIMEOUT": "30",
            "CLOUD_WAL_AWS_PROFILE": "prod", "UNRELATED": "x",
        ])
        let args = try SidecarEnvironment.arguments(from: env, commandLine: [])
        #expect(args.contains("--zstd"))
        #expect(!args.contains("--gzip"))
        #expect(args.contains("--tag"))
        #expect(zip(args, args.dropFirst()).contains { $0 == "--endpoint-url" && $1 == "http://127.0.0.1:9000" })
        #expect(zip(args, args.dropFirst()).filter { $0.0 == "--tag" }.map(\.1) == ["a,1", "b,2"])
        #expect(zip(args, args.dropFirst()).contains { $0 == "--aws-profile" && $1 == "prod" })

        // The command line wins: its own endpoint, a short alias, and its compression choice.
        let overridden = try SidecarEnvironment.arguments(
            from: env, commandLine: ["--endpoint-url=http://other", "-P", "dev", "-z"])
        #expect(!overridden.contains("--endpoint-url"))
        #expect(!overridden.contains("--aws-profile"))
        #expect(!overridden.contains("--zstd"), "a compression on the command line replaces the environment's")
        #expect(overridden.contains("--read-timeout"))
    }

    @Test func everyArchiveOptionHasAVariable() {
        let names = SidecarEnvironment.archiveOptions.map(\.variable)
        #expect(names.contains("CLOUD_WAL_ENDPOINT_URL"))
        #expect(names.contains("CLOUD_WAL_MAX_SINGLE_PUT_SIZE"))
        #expect(Set(names).count == names.count)
    }

    @Test(arguments: ["maybe", "2", "tru"])
    func badBooleansAreInputErrors(value: String) {
        let error = #expect(throws: WALError.self) {
            try SidecarEnvironment.arguments(from: Environment(["CLOUD_WAL_ZSTD": value]), commandLine: [])
        }
        #expect(error?.kind == .invalidInput)
    }

    @Test func destinationFromArgumentsThenOursThenWALE() throws {
        let none = Environment([:])
        #expect(try SidecarEnvironment.destination(url: "s3://b/p", serverName: "pg", environment: none) == ("s3://b/p", "pg"))
        let ours = Environment(["CLOUD_WAL_DESTINATION": "gs://b/x", "CLOUD_WAL_SERVER_NAME": "main"])
        #expect(try SidecarEnvironment.destination(url: nil, serverName: nil, environment: ours) == ("gs://b/x", "main"))
        #expect(try SidecarEnvironment.destination(url: "file:///a", serverName: "cli", environment: ours) == ("file:///a", "cli"))

        let wale = Environment(["WALE_S3_PREFIX": "s3://bucket/backups/db1/"])
        #expect(try SidecarEnvironment.destination(url: nil, serverName: nil, environment: wale) == ("s3://bucket/backups", "db1"))
        let bare = Environment(["WALE_S3_PREFIX": "s3://bucket"])
        #expect(try SidecarEnvironment.destination(url: nil, serverName: nil, environment: bare) == ("s3://bucket", "postgres"))
        let file = Environment(["WALE_FILE_PREFIX": "file://localhost/var/wal/db"])
        #expect(try SidecarEnvironment.destination(url: nil, serverName: nil, environment: file) == ("file:///var/wal", "db"))
        let named = Environment(["WALE_GS_PREFIX": "gs://b/p/q", "CLOUD_WAL_SERVER_NAME": "n"])
        #expect(try SidecarEnvironment.destination(url: nil, serverName: nil, environment: named) == ("gs://b/p/q", "n"))

        #expect(throws: WALError.self) { try SidecarEnvironment.destination(url: nil, serverName: nil, environment: none) }
        #expect(throws: WALError.self) {
            try SidecarEnvironment.destination(
                url: nil, serverName: nil, environment: Environment(["CLOUD_WAL_DESTINATION": "s3://b"]))
        }
    }

    @Test func settingsDefaultsAreTheWALESidecars() throws {
        let settings = try SidecarEnvironment.settings(environment: Environment([:]))
        #expect(settings.listenPort == 80)
        #expect(settings.listenAddress == "0.0.0.0")
        #expect(settings.dataDirectory == "/var/lib/postgresql/data")
        #expect(settings.walDirectory == "/var/lib/postgresql/data/pg_wal")
        #expect(settings.token == nil)
        #expect(!settings.allowUnauthenticated)

        let env = Environment([
            "WALE_LISTEN_PORT": "8080", "PGDATA": "/pg", "CLOUD_WAL_LISTEN_ADDRESS": "127.0.0.1",
            "CLOUD_WAL_TOKEN": "t", "CLOUD_WAL_REQUEST_TIMEOUT": "5",
        ])
        let configured = try SidecarEnvironment.settings(environment: env)
        #expect(configured.listenPort == 8080)
        #expect(configured.walDirectory == "/pg/pg_wal")
        #expect(configured.listenAddress == "127.0.0.1")
        #expect(configured.token != nil)
        #expect(configured.requestTimeout == .seconds(5))
        let cli = try SidecarEnvironment.settings(environment: env, listenAddress: "::1", listenPort: 9)
        #expect(cli.listenPort == 9 && cli.listenAddress == "::1")
        #expect(throws: WALError.self) { try SidecarEnvironment.settings(environment: Environment(["WALE_LISTEN_PORT": "http"])) }
    }

    @Test func connectionLimitsAndTheSocketComeFromTheEnvironment() throws {
        let defaults = try SidecarEnvironment.settings(environment: Environment([:]))
        #expect(defaults.limits == ConnectionLimits(idleTimeout: .seconds(60), headerTimeout: .seconds(10), maxConnections: 64))
        #expect(defaults.socketPath == nil)
        let env = Environment([
            "CLOUD_WAL_IDLE_TIMEOUT": "7", "CLOUD_WAL_HEADER_TIMEOUT": "3", "CLOUD_WAL_MAX_CONNECTIONS": "5",
            "CLOUD_WAL_LISTEN_SOCKET": "/run/cw/sock",
        ])
        let configured = try SidecarEnvironment.settings(environment: env)
        #expect(configured.limits == ConnectionLimits(idleTimeout: .seconds(7), headerTimeout: .seconds(3), maxConnections: 5))
        #expect(configured.socketPath == "/run/cw/sock")
        #expect(try SidecarEnvironment.settings(environment: env, listenSocket: "/other").socketPath == "/other")
        for (variable, value) in [
            ("CLOUD_WAL_IDLE_TIMEOUT", "0"), ("CLOUD_WAL_HEADER_TIMEOUT", "-1"), ("CLOUD_WAL_MAX_CONNECTIONS", "many"),
            ("CLOUD_WAL_REQUEST_TIMEOUT", "1.5"),
        ] {
            let error = #expect(throws: WALError.self) { try SidecarEnvironment.settings(environment: Environment([variable: value])) }
            #expect(error?.message.contains(variable) == true)
        }
    }

    @Test func tokenFromFileTrimmedAndNeverBoth() throws {
        let path = NSTemporaryDirectory() + "cloudwal-token-" + UUID().uuidString
        try "from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let token = try #require(try SidecarEnvironment.token(environment: Environment(["CLOUD_WAL_TOKEN_FILE": path])))
        #expect(token.accepts(authorizationHeader: "Bearer from-file"))
        #expect(throws: WALError.self) {
            try SidecarEnvironment.token(environment: Environment(["CLOUD_WAL_TOKEN_FILE": path, "CLOUD_WAL_TOKEN": "x"]))
        }
        #expect(throws: WALError.self) {
            try SidecarEnvironment.token(environment: Environment(["CLOUD_WAL_TOKEN_FILE": path + ".missing"]))
        }
    }

    @Test func aPGDATAOfAnotherUserIsWarnedAbout() throws {
        let directory = NSTemporaryDirectory() + "cloudwal-owner-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = SidecarSettings(dataDirectory: directory)
        #expect(settings.ownershipWarning() == nil, "PGDATA is ours")
        #expect(settings.ownershipWarning(effectiveUID: geteuid() &+ 1)?.contains("PostgreSQL's uid") == true)
        #expect(SidecarSettings(dataDirectory: directory + "/missing").ownershipWarning(effectiveUID: 12345) == nil)
    }

    /// Loopback is not private (other users, other containers of the pod), so the token is
    /// required on every address unless a UNIX socket serves instead or the operator opted out.
    @Test func aTokenIsRequiredUnlessASocketServesOrItIsWaived() throws {
        for address in ["0.0.0.0", "127.0.0.1", "::1", "localhost"] {
            var settings = SidecarSettings(listenAddress: address, listenPort: 8080)
            let refused = #expect(throws: SidecarFailure.self) { try settings.validate() }
            #expect(refused?.message.contains("CLOUD_WAL_TOKEN") == true)
            #expect(refused?.message.contains("CLOUD_WAL_LISTEN_SOCKET") == true)
            #expect(refused?.message.contains("CLOUD_WAL_ALLOW_UNAUTHENTICATED") == true)
            settings.allowUnauthenticated = true
            #expect(try settings.validate().count == 1, "opting out is allowed, with a warning")
            settings.allowUnauthenticated = false
            settings.token = BearerToken("t")
            #expect(try settings.validate().isEmpty)
            settings.token = nil
            settings.socketPath = "/run/cloud-wal/sock"
            #expect(try settings.validate().isEmpty, "the socket needs no token; TCP then serves only /ping")
        }
        var limits = SidecarSettings(listenAddress: "127.0.0.1", listenPort: 1, token: BearerToken("t"))
        limits.limits.maxConnections = 0
        #expect(throws: SidecarFailure.self) { try limits.validate() }
        for loopback in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"] {
            #expect(SidecarSettings(listenAddress: loopback).isLoopback, "\(loopback)")
        }
        for open in ["0.0.0.0", "10.0.0.1", "::", "127.0.0.1.nip.io", "128.0.0.1"] {
            #expect(!SidecarSettings(listenAddress: open).isLoopback, "\(open)")
        }
    }

    @Test func aSocketPathIsRefusedWhereOthersCouldReplaceIt() throws {
        let fm = FileManager.default
        let directory = NSTemporaryDirectory() + "cloudwal-sock-" + UUID().uuidString
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: directory) }
        #expect(throws: WALError.self) { try UnixSocketFile(path: "relative.sock") }
        #expect(throws: WALError.self) { try UnixSocketFile(path: directory + "/missing/s.sock") }
        #expect(throws: WALError.self) { try UnixSocketFile(path: "/" + String(repeating: "d", count: 120) + "/s") }
        #expect(try UnixSocketFile(path: directory + "/s.sock").path == directory + "/s.sock")
        // A regular file (or anything but a socket) at the path is never replaced.
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/file"))
        let notSocket = #expect(throws: WALError.self) { try UnixSocketFile(path: directory + "/file") }
        #expect(notSocket?.message.contains("not a socket") == true)
        // World-writable without the sticky bit: refused; with it (like /tmp): fine.
        try fm.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory)
        let open = #expect(throws: WALError.self) { try UnixSocketFile(path: directory + "/s.sock") }
        #expect(open?.message.contains("sticky") == true)
        try fm.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: directory)
        #expect(try UnixSocketFile(path: directory + "/s.sock").path == directory + "/s.sock")
    }
}
