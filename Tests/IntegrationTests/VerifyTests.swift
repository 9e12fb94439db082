import CloudWAL
import Foundation
import Testing

/// `cloud-wal verify` against a real PostgreSQL 15 archiving through `cloud-wal-archive`, on
/// `file://` and on S3 (moto): a good backup and its WAL verify with 0; a deleted tar part, a
/// deleted segment in the middle and a segment stored under a second compression are each
/// reported, with 1. A bucket written by barman-cloud-backup 3.19.1 verifies with its
/// no-checksum warning and 0; an unreachable store gives 2, bad input 3.
@Suite("cloud-wal verify", .serialized, .motoServer)
struct VerifyTests {
    static let server = "pg1"

    @Test("our backup: clean, then damaged", arguments: ["file", "moto"])
    func damageIsReported(store: String) async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        try await BackupTarget.with(store, hint: "verify") { target in
            let objects = StoredObjects(target: target)
            let primary = try await PostgresCluster.start(settings: [
                "archive_mode": "on",
                "archive_command": target.shellCommand(binary.archiveCommand) + " \(target.url) \(Self.server) %p",
            ])
            try await withCleanup(of: primary) { primary in
                try await primary.pgbenchInit(scale: 3)
                // Split at 8 MB: the data tar is several objects, so one can go missing.
                let backup = try await binary.run(
                    ["backup", "--immediate-checkpoint", "--max-archive-size", "8MB"] + target.cliOptions
                        + (await primary.connectionArguments) + [target.url, Self.server],
                    env: target.environment, timeout: .seconds(180))
                try #require(backup.status == 0, "backup: \(backup.stderr)")
                let backupID = backup.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                var last = ""
                for round in 1...4 {
                    try await primary.psql("create table after_\(round) as select generate_series(1, 20000) as n")
                    last = try await primary.switchWAL()
                }
                try await primary.waitForArchiver(upTo: last, timeout: .seconds(60))

                let clean = try await verify(binary, target, [backupID])
                #expect(clean.status == 0, "\(clean.stdout)\n\(clean.stderr)")
                #expect(clean.stdout.contains("OK      backup \(backupID)"), "\(clean.stdout)")
                #expect(clean.stdout.contains("OK: 1 backup, "), "\(clean.stdout)")
                let json = try await verify(binary, target, ["--format", "json", "-j", "2"])
                #expect(json.status == 0, "\(json.stderr)")
                let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
                #expect(document?["ok"] as? Bool == true, "\(json.stdout)")
                let summary = document?["summary"] as? [String: Any]
                #expect((summary?["segments_checked"] as? Int ?? 0) >= 4, "\(json.stdout)")
                #expect((summary?["bytes_read"] as? Int ?? 0) > 8 << 20, "\(json.stdout)")

                // One tar part gone, one segment between the backup and the newest gone, the
                // newest stored a second time under gzip.
                let keys = try await objects.keys()
                let part = try #require(keys.first { $0.hasSuffix("/base/\(backupID)/data_0001.tar") }, "\(keys)")
                let segments = keys.filter { key in
                    key.contains("/wals/") && WALFileName(String(key.split(separator: "/").last ?? ""))?.kind == .segment
                }.sorted()
                try #require(segments.count >= 4, "\(segments)")
                let middle = segments[segments.count - 2]
                let newest = segments[segments.count - 1]
                try await objects.delete(part)
                try await objects.delete(middle)
                try await objects.put(newest + ".gz", Compression.compress([UInt8](try await objects.get(newest)), with: .gzip))

                let damaged = try await verify(binary, target, [backupID])
                #expect(damaged.status == 1, "\(damaged.stdout)\n\(damaged.stderr)")
                let name = { (key: String) in String(key.split(separator: "/").last ?? "") }
                #expect(damaged.stdout.contains("data_0001.tar is in the manifest but not in the store"), "\(damaged.stdout)")
                #expect(damaged.stdout.contains("WAL missing: \(name(middle))"), "\(damaged.stdout)")
                #expect(damaged.stdout.contains("\(name(newest)) is stored 2 times"), "\(damaged.stdout)")
                #expect(damaged.stdout.contains("PROBLEMS FOUND: 1 backup, "), "\(damaged.stdout)")
                #expect(!damaged.stdout.contains("OK      backup"), "\(damaged.stdout)")
            }
        }
    }

    @Test("a barman-cloud-backup bucket: no checksums, a warning, exit 0")
    func barmanBackupVerifies() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let target = try await BackupTarget.s3("vbarman")
        defer { target.cleanup() }
        let moto = try MotoServer.shared()
        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on",
            "archive_command": target.shellCommand(binary.archiveCommand) + " \(target.url) \(Self.server) %p",
        ])
        try await withCleanup(of: primary) { primary in
            try await primary.psql("create table before_backup as select generate_series(1, 50000) as n")
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))
            let port = try await primary.psql("show port")
            let backup = try await ProcessRunner.run(
                try TestVenv.tool("barman-cloud-backup"),
                ["--endpoint-url", moto.endpoint, "-h", "127.0.0.1", "-p", port, "-U", "postgres", "--gzip", target.url, Self.server],
                environment: target.environment, timeout: .seconds(300))
            let stats = try await primary.archiverStats()
            try #require(backup.succeeded, "barman-cloud-backup: \(lastLines(backup.stderr))\n\(stats)\n\(primary.logTail())")
            try await primary.psql("create table after_backup as select generate_series(1, 1000) as n")
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))

            let result = try await verify(binary, target, ["--all"])
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stdout.contains("WARNING backup "), "\(result.stdout)")
            #expect(result.stdout.contains("no checksums"), "\(result.stdout)")
            #expect(result.stdout.contains("OK: 1 backup, "), "\(result.stdout)")
        }
    }

    @Test("unreachable is 2, bad input 3, an empty archive 1")
    func exitStatuses() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archive = try TempDirectory.make(prefix: "cloudwal-verify", ownedByServer: false)
        defer { archive.remove() }
        let url = "file://" + archive.path

        let port = try Network.freeLoopbackPort()
        let credentials = ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "us-east-1"]
        let unreachable = try await binary.run(
            ["verify", "--endpoint-url", "http://127.0.0.1:\(port)", "s3://bucket/p", Self.server],
            env: credentials, timeout: .seconds(300))
        #expect(unreachable.status == 2, "\(unreachable.stderr)")
        #expect(unreachable.stderr.split(separator: "\n").count == 1, "\(unreachable.stderr)")

        for arguments in [
            [url, Self.server, "20200101T000000"],
            [url, Self.server, "latest", "--all"],
            ["-j", "0", url, Self.server],
            ["ftp://nowhere/x", Self.server],
            [url, Self.server, "--format", "yaml"],
        ] {
            let result = try await binary.run(["verify"] + arguments)
            #expect(result.status == 3, "\(arguments): \(result.stdout) \(result.stderr)")
        }
        let empty = try await binary.run(["verify", url, Self.server])
        #expect(empty.status == 1, "\(empty.stdout) \(empty.stderr)")
        #expect(empty.stdout.contains("no DONE backup"), "\(empty.stdout)")
    }

    /// `cloud-wal verify` on the target; options after the positional arguments are fine.
    private func verify(_ binary: TestBinary, _ target: BackupTarget, _ arguments: [String]) async throws -> ProcessResult {
        try await binary.run(
            ["verify"] + target.cliOptions + [target.url, Self.server] + arguments, env: target.environment,
            timeout: .seconds(300))
    }
}

/// The objects of a target, reached behind cloud-wal's back: the file system for `file://`,
/// boto3 for S3.
private struct StoredObjects {
    let target: BackupTarget

    private var root: String { String(target.url.dropFirst("file://".count)) }

    func keys() async throws -> [String] {
        if let bucket = target.bucket, let inspector = target.inspector { return try await inspector.keys(bucket: bucket) }
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return files.filter { !isDirectory(root + "/" + $0) }
    }

    func get(_ key: String) async throws -> Data {
        if let bucket = target.bucket, let inspector = target.inspector {
            return try #require(try await inspector.objectData(bucket: bucket, key: key))
        }
        return try Data(contentsOf: URL(fileURLWithPath: root + "/" + key))
    }

    func put(_ key: String, _ bytes: [UInt8]) async throws {
        if let bucket = target.bucket, let inspector = target.inspector {
            try await inspector.putObject(bucket: bucket, key: key, data: Data(bytes))
            return
        }
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + key))
    }

    func delete(_ key: String) async throws {
        if let bucket = target.bucket, let inspector = target.inspector {
            let result = try await inspector.run(["delete", bucket, key])
            guard result.succeeded else { throw HarnessError("s3_inspect delete \(key): \(lastLines(result.stderr))") }
            return
        }
        try FileManager.default.removeItem(atPath: root + "/" + key)
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
