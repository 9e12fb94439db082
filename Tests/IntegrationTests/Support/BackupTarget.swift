import Foundation

/// An archive location for the base-backup suites, the same way on `file://` and on S3 (moto):
/// the URL, the options and environment our CLI needs for it, and a shell prefix that gives
/// PostgreSQL's archive_command and restore_command that same environment.
struct BackupTarget: Sendable {
    let name: String
    let url: String
    let cliOptions: [String]
    let environment: [String: String]
    /// The S3 bucket, `nil` for `file://`.
    var bucket: String? = nil
    private let directory: TempDirectory?

    static func file() throws -> BackupTarget {
        let dir = try TempDirectory.make(prefix: "cloudwal-archive")
        return BackupTarget(name: "file", url: "file://" + dir.path, cliOptions: [], environment: [:], directory: dir)
    }

    static func s3(_ hint: String) async throws -> BackupTarget {
        let moto = try MotoServer.shared()
        let bucket = try await moto.makeBucket(hint)
        return BackupTarget(
            name: "s3", url: "s3://\(bucket)/cluster", cliOptions: ["--endpoint-url", moto.endpoint],
            environment: moto.environment, bucket: bucket, directory: nil)
    }

    /// `env K=V ... <tool> <options>` for a PostgreSQL setting (values here never need quoting).
    func shellCommand(_ tool: String) -> String {
        let env = environment.keys.sorted().map { "\($0)=\(environment[$0] ?? "")" }
        return ((env.isEmpty ? [] : ["env"] + env) + [tool] + cliOptions).joined(separator: " ")
    }

    func cleanup() {
        directory?.remove()
    }
}
