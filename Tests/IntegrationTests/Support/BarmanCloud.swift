import Foundation
import Testing

/// barman-cloud 3.19.1 from the test venv, pointed at one backend with the same options and
/// environment our commands get (`StoreAccess.cliOptions`: `--endpoint-url` for S3,
/// `--cloud-provider` for GCS and Azure).
///
/// `restore` always passes its own `--spool-dir` in a fresh temp directory: the default
/// `/var/tmp/walrestore` is shared machine-wide and a stale spooled file there would be delivered
/// instead of the object (see test-infra.md §5a).
struct BarmanCloud: Sendable {
    let backendOptions: [String]
    let environment: [String: String]
    let archiveTool: String
    let restoreTool: String

    init(access: StoreAccess) throws {
        backendOptions = access.cliOptions
        environment = access.environment
        archiveTool = try TestVenv.tool("barman-cloud-wal-archive")
        restoreTool = try TestVenv.tool("barman-cloud-wal-restore")
    }

    /// Against a `MotoServer`, for suites that keep their own fixture.
    init(server: MotoServer) throws {
        try self.init(access: StoreAccess(url: "", endpointURL: server.endpoint, environment: server.environment))
    }

    /// barman's flag for a compression (nil = none). Same spelling as ours.
    static func flag(for compression: String?) -> [String] {
        guard let compression else { return [] }
        switch compression {
        case "gzip": return ["--gzip"]
        case "bzip2": return ["--bzip2"]
        default: return ["--" + compression]  // xz snappy zstd lz4
        }
    }

    /// `barman-cloud-wal-archive [backend options] [options] URL SERVER WAL_PATH`.
    func archive(url: String, serverName: String, walPath: String, options: [String] = [],
                 environment: [String: String]? = nil, timeout: Duration = .seconds(120)) async throws -> ProcessResult {
        try await ProcessRunner.run(
            archiveTool, backendOptions + options + [url, serverName, walPath],
            environment: environment ?? self.environment, timeout: timeout)
    }

    /// `barman-cloud-wal-restore --spool-dir <fresh temp> [backend options] [options] URL SERVER WAL_NAME DEST`.
    func restore(url: String, serverName: String, walName: String, destination: String, options: [String] = [],
                 environment: [String: String]? = nil, timeout: Duration = .seconds(120)) async throws -> ProcessResult {
        let spool = try TempDirectory.make(prefix: "cloudwal-spool", ownedByServer: false)
        defer { spool.remove() }
        return try await ProcessRunner.run(
            restoreTool,
            ["--spool-dir", spool.path] + backendOptions + options + [url, serverName, walName, destination],
            environment: environment ?? self.environment, timeout: timeout)
    }

    /// Like `archive`, but throws unless barman exits 0.
    func checkedArchive(url: String, serverName: String, walPath: String, options: [String] = []) async throws {
        let result = try await archive(url: url, serverName: serverName, walPath: walPath, options: options)
        guard result.succeeded else {
            throw HarnessError("barman-cloud-wal-archive \(backendOptions + options) \(url) \(serverName) \(walPath) "
                               + "exited \(result.status) (timedOut \(result.timedOut)): \(lastLines(result.stderr, lines: 10))")
        }
    }
}
