import Foundation
import Testing

/// Client-side encryption of WAL end to end on a real PostgreSQL 15, on `file://` and on S3
/// (moto): archive_command with `--encryption-keyring` (and `--parallel`), the keyring rotated
/// in the middle, recovery of a base backup through restore_command (`-p` prefetching) with
/// segments from before and after the rotation; what the store holds (names, metadata); a
/// restore without the key (exit 4, 255 in targeted recovery); barman-cloud never exiting 0.
@Suite("Encrypted WAL with PostgreSQL", .serialized, .motoServer)
struct EncryptedWALPostgresTests {
    static let server = "pg1"

    @Test("archive, rotate the keyring, recover through restore_command", arguments: ["file", "s3"])
    func archiveRotateAndRecover(backend: String) async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let target = backend == "file" ? try BackupTarget.file() : try await BackupTarget.s3("crypt")
        defer { target.cleanup() }
        // The keyring belongs to the account PostgreSQL runs as, mode 0600, as in production.
        let keys = try TempDirectory.make(prefix: "cloudwal-keys")
        defer { keys.remove() }
        let keyring = keys.path + "/keyring"
        try await Self.addKey(binary, keyring, name: "first", in: keys.path)
        let state = try keys.subdirectory("state")
        let spool = try keys.subdirectory("spool")
        let archiveCommand = target.shellCommand(binary.archiveCommand)
            + " --zstd --parallel 4 --state-dir \(state) --encryption-keyring \(keyring) \(target.url) \(Self.server) %p"
        let primary = try await PostgresCluster.start(settings: ["archive_mode": "on", "archive_command": archiveCommand])
        try await withCleanup(of: primary) { primary in
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(30))
            let backupDir = try await primary.scratchDirectory("backups") + "/base"
            try await primary.basebackup(to: backupDir, walMethod: .none)

            try await primary.pgbenchInit(scale: 2)
            let beforeRotation = try await primary.switchWAL()
            try await primary.waitForArchiver(upTo: beforeRotation, timeout: .seconds(60))
            try await Self.addKey(binary, keyring, name: "second", in: keys.path)
            var last = beforeRotation
            for _ in 0..<2 {
                try await primary.pgbench(transactions: 300, clients: 2)
                last = try await primary.switchWAL()
            }
            let stats = try await primary.waitForArchiver(upTo: last, timeout: .seconds(90))
            #expect(stats.failedCount == 0)
            let accounts = try await primary.psql("select count(*), sum(abalance) from pgbench_accounts")
            let history = try await primary.psql("select count(*) from pgbench_history")

            // Every WAL object is encrypted, named so barman-cloud never takes it for WAL, and
            // carries nothing derived from its content in the clear.
            let stored = try await Self.objects(target)
            let walObjects = stored.filter { $0.key.contains("/wals/") }
            #expect(walObjects.count >= 4)
            #expect(walObjects.allSatisfy { $0.key.hasSuffix(".cwenc") }, "\(walObjects.map(\.key).prefix(5))")
            for object in walObjects {
                #expect(!object.metadata.contains("cloudwal-"), "\(object.key) has metadata \(object.metadata)")
            }
            #expect(try await Self.keyName(of: beforeRotation, in: target) == "first")
            #expect(try await Self.keyName(of: last, in: target) == "second")

            // Recovery with prefetching: segments under both keys come back through the rotated keyring.
            let restoreCommand = target.shellCommand(binary.restoreCommand)
                + " -p 4 --spool-dir \(spool) --encryption-keyring \(keyring) \(target.url) \(Self.server) %f %p"
            let replica = try await PostgresCluster.recover(
                fromBackup: backupDir, restoreCommand: restoreCommand, timeout: .seconds(120))
            try await withCleanup(of: replica) { replica in
                let replicaAccounts = try await replica.psql("select count(*), sum(abalance) from pgbench_accounts")
                let replicaHistory = try await replica.psql("select count(*) from pgbench_history")
                #expect(replicaAccounts == accounts)
                #expect(replicaHistory == history)
            }

            // Without the keyring: a failure naming the key, never "not found", and never a file at %p.
            let scratch = try TempDirectory.make(prefix: "cloudwal-nokey", ownedByServer: false)
            defer { scratch.remove() }
            let restoreTool = binary.directory.path + "/cloud-wal-restore"
            let arguments = target.cliOptions + [target.url, Self.server, last, scratch.path + "/dest"]
            let plain = try await ProcessRunner.run(
                restoreTool, arguments, environment: target.environment, workingDirectory: scratch.path)
            #expect(plain.status == 4, "\(plain.stderr)")
            #expect(plain.stderr.contains("'second'") && plain.stderr.contains("--encryption-keyring"), "\(plain.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/dest"))
            // In targeted recovery (recovery.signal, no standby.signal) the same failure aborts: 255.
            _ = FileManager.default.createFile(atPath: scratch.path + "/recovery.signal", contents: Data())
            let targeted = try await ProcessRunner.run(
                restoreTool, arguments, environment: target.environment, workingDirectory: scratch.path)
            #expect(targeted.status == 255, "\(targeted.stderr)")

            if target.bucket != nil {
                // barman-cloud-wal-restore finds no WAL it knows under these names: it never exits 0.
                let moto = try MotoServer.shared()
                let barman = try BarmanCloud(server: moto)
                for segment in [beforeRotation, last] {
                    let destination = scratch.path + "/barman-\(segment)"
                    let result = try await barman.restore(
                        url: target.url, serverName: Self.server, walName: segment, destination: destination)
                    #expect(result.status != 0, "barman-cloud-wal-restore exited 0 on an encrypted archive")
                    #expect(!FileManager.default.fileExists(atPath: destination))
                }
            }
        }
    }

    /// `cloud-wal restore --encryption-keyring`: an unencrypted base backup restored to a
    /// point in time, its WAL coming encrypted through the restore_command that restore wrote.
    @Test func pointInTimeRestoreReplaysEncryptedWAL() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let target = try BackupTarget.file()
        defer { target.cleanup() }
        let keys = try TempDirectory.make(prefix: "cloudwal-keys")
        defer { keys.remove() }
        let keyring = keys.path + "/keyring"
        try await Self.addKey(binary, keyring, name: "pitr", in: keys.path)
        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on",
            "archive_command": "\(binary.archiveCommand) --lz4 --encryption-keyring \(keyring) \(target.url) \(Self.server) %p",
        ])
        try await withCleanup(of: primary) { primary in
            try await primary.pgbenchInit(scale: 1)
            try await primary.psql("create table marks (n int primary key)")
            // Archived (as the server's user) before the backup, which runs as the test's user and
            // would otherwise create the archive's folders first.
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))
            let backup = try await binary.run(
                ["backup", "--immediate-checkpoint", "--zstd"] + (await primary.connectionArguments)
                    + [target.url, Self.server],
                timeout: .seconds(90))
            try #require(backup.status == 0, "backup: \(backup.stderr)\n\(primary.logTail())")
            for n in 1...20 { try await primary.psql("insert into marks values (\(n))") }
            try await Task.sleep(for: .milliseconds(300))
            let targetTime = try await primary.psql("select clock_timestamp()")
            try await Task.sleep(for: .milliseconds(300))
            for n in 21...40 { try await primary.psql("insert into marks values (\(n))") }
            let last = try await primary.switchWAL()
            let stats = try await primary.waitForArchiver(upTo: last, timeout: .seconds(60))
            #expect(stats.failedCount == 0)

            let restoreRoot = try TempDirectory.make(prefix: "cloudwal-pitr", ownedByServer: false)
            defer { restoreRoot.remove() }
            let dataDir = restoreRoot.path + "/data"
            let restored = try await binary.run(
                ["restore", "--encryption-keyring", keyring, target.url, Self.server, "auto", dataDir,
                 "--recovery-target-time", targetTime, "--recovery-target-action", "promote"],
                timeout: .seconds(180))
            try #require(restored.status == 0, "restore: \(restored.stderr)")
            let autoConf = (try? String(contentsOfFile: dataDir + "/postgresql.auto.conf", encoding: .utf8)) ?? ""
            #expect(autoConf.contains("--encryption-keyring \(keyring)"), "\(autoConf)")
            let replica = try await PostgresCluster.startRestored(directory: dataDir, promote: true)
            try await withCleanup(of: replica) { replica in
                let marks = try await replica.psql("select count(*), max(n) from marks")
                #expect(marks == "20|20", "rows committed before the target, and none after")
            }
        }
    }

    // MARK: - Helpers

    /// `cloud-wal keyring add` as the server account, which must own the file.
    static func addKey(_ binary: TestBinary, _ keyring: String, name: String, in directory: String) async throws {
        let result = try await ServerAccount.current.run(
            binary.path, ["keyring", "add", keyring, "--name", name], workingDirectory: directory)
        guard result.succeeded, result.stdout.contains("'\(name)'") else {
            throw HarnessError("keyring add \(name) exited \(result.status): \(result.stdout) \(result.stderr)")
        }
    }

    struct StoredObject {
        let key: String
        /// The user metadata's keys (S3), or the store's `.NAME.meta` sibling (file://), as text.
        let metadata: String
    }

    /// Every object with its user metadata.
    static func objects(_ target: BackupTarget) async throws -> [StoredObject] {
        if let bucket = target.bucket {
            let moto = try MotoServer.shared()
            var objects: [StoredObject] = []
            for key in try await moto.keys(bucket: bucket, prefix: "cluster/") {
                let metadata = try await moto.head(bucket: bucket, key: key)?.metadata ?? [:]
                objects.append(StoredObject(key: key, metadata: metadata.keys.sorted().joined(separator: " ")))
            }
            return objects
        }
        let root = String(target.url.dropFirst("file://".count))
        var objects: [StoredObject] = []
        for case let relative as String in FileManager.default.enumerator(atPath: root) ?? .init() {
            let name = (relative as NSString).lastPathComponent
            guard !name.hasPrefix("."), !FileSystemOpsProbe.isDirectory(root + "/" + relative) else { continue }
            let meta = root + "/" + (relative as NSString).deletingLastPathComponent + "/." + name + ".meta"
            let text = (try? String(contentsOfFile: meta, encoding: .utf8)) ?? ""
            objects.append(StoredObject(key: relative, metadata: text))
        }
        return objects
    }

    /// The keyring key an archived segment's header names.
    static func keyName(of segment: String, in target: BackupTarget) async throws -> String? {
        let key = "\(segment.prefix(16))/\(segment).zst.cwenc"
        let data: Data?
        if let bucket = target.bucket {
            data = try await MotoServer.shared().objectData(bucket: bucket, key: "cluster/\(server)/wals/\(key)")
        } else {
            data = FileManager.default.contents(atPath: String(target.url.dropFirst("file://".count)) + "/\(server)/wals/\(key)")
        }
        guard let bytes = data.map(Array.init), bytes.count > 11, bytes[9] == 1 else { return nil }
        let length = Int(bytes[10])
        guard bytes.count >= 11 + length else { return nil }
        return String(decoding: bytes[11..<(11 + length)], as: UTF8.self)
    }
}

enum FileSystemOpsProbe {
    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
