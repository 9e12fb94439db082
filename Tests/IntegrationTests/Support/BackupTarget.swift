import Foundation

/// An archive location for the base-backup suites, the same way on `file://` and on S3 (moto or
/// SeaweedFS):
/// the URL, the options and environment our CLI needs for it, and a shell prefix that gives
/// PostgreSQL's archive_command and restore_command that same environment.
struct BackupTarget: Sendable {
    let name: String
    let url: String
    let cliOptions: [String]
    let environment: [String: String]
    /// The S3 bucket, `nil` for `file://`.
    var bucket: String? = nil
    /// boto3 into the bucket, independent of cloud-wal; `nil` for `file://`.
    var inspector: S3Inspector? = nil
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
            environment: moto.environment, bucket: bucket,
            inspector: S3Inspector(endpoint: moto.endpoint, environment: moto.environment), directory: nil)
    }

    /// A fresh bucket on a SeaweedFS the caller started and stops: a real S3 server that checks
    /// every request's SigV4 signature.
    static func seaweedFS(_ weed: SeaweedFS, hint: String) async throws -> BackupTarget {
        let bucket = "cw-\(hint)-\(randomToken(8))"
        try await weed.inspector.createBucket(bucket)
        return BackupTarget(
            name: "seaweedfs", url: "s3://\(bucket)/cluster", cliOptions: ["--endpoint-url", weed.endpoint],
            environment: weed.environment, bucket: bucket, inspector: weed.inspector, directory: nil)
    }

    /// Runs `body` on a fresh target of the kind `store` names (`file`, `moto`, `seaweedfs`); a
    /// SeaweedFS is started for it and stopped after, also on failure. `moto` needs the suite's
    /// `.motoServer` trait.
    static func with(
        _ store: String, hint: String, isolation: isolated (any Actor)? = #isolation,
        _ body: (BackupTarget) async throws -> Void
    ) async throws {
        let weed = store == "seaweedfs" ? try await SeaweedFS.start() : nil
        do {
            let target: BackupTarget
            if let weed {
                target = try await BackupTarget.seaweedFS(weed, hint: hint)
            } else if store == "moto" {
                target = try await BackupTarget.s3(hint)
            } else {
                target = try BackupTarget.file()
            }
            defer { target.cleanup() }
            try await body(target)
            await weed?.stop()
        } catch {
            await weed?.stop()
            throw error
        }
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
