import Foundation
import Testing

/// barman-cloud 3.19.1 from the test venv with `--cloud-provider google-cloud-storage`, pointed at a
/// `FakeGCSServer` through `STORAGE_EMULATOR_HOST`. Restores get their own `--spool-dir`.
struct GCSBarmanCloud: Sendable {
    let server: FakeGCSServer
    let archiveTool: String
    let restoreTool: String

    init(server: FakeGCSServer) throws {
        self.server = server
        archiveTool = try TestVenv.tool("barman-cloud-wal-archive")
        restoreTool = try TestVenv.tool("barman-cloud-wal-restore")
    }

    func archive(url: String, serverName: String, walPath: String, options: [String] = []) async throws -> ProcessResult {
        try await ProcessRunner.run(
            archiveTool, ["--cloud-provider", "google-cloud-storage"] + options + [url, serverName, walPath],
            environment: server.environment, timeout: .seconds(120))
    }

    func restore(url: String, serverName: String, walName: String, destination: String) async throws -> ProcessResult {
        let spool = try TempDirectory.make(prefix: "cloudwal-spool", ownedByServer: false)
        defer { spool.remove() }
        return try await ProcessRunner.run(
            restoreTool,
            ["--spool-dir", spool.path, "--cloud-provider", "google-cloud-storage", url, serverName, walName, destination],
            environment: server.environment, timeout: .seconds(120))
    }

    func checkedArchive(url: String, serverName: String, walPath: String, options: [String] = []) async throws {
        let result = try await archive(url: url, serverName: serverName, walPath: walPath, options: options)
        guard result.succeeded else {
            throw HarnessError("barman-cloud-wal-archive (gcs) \(options) \(walPath) exited \(result.status): "
                               + lastLines(result.stderr, lines: 10))
        }
    }
}
