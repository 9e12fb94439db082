import Foundation
import Testing

/// One test's world on one backend for the command-line suites: the staged binary, a scratch
/// directory (a fake pg_wal and restore destinations) and a bucket of its own, with barman's
/// prefix and server name. The backend comes from the suite's traits (`StoreBackend.underTest`).
struct ArchiveFixture: Sendable {
    static let prefix = "pfx/sub"
    static let serverName = "pg1"

    let sut: any StoreUnderTest
    let binary: TestBinary
    let dir: TempDirectory
    let bucket: String

    var backend: StoreBackend { sut.backend }
    var access: StoreAccess { sut.access(bucket: bucket, prefix: Self.prefix) }
    var url: String { access.url }

    static func make(_ backend: StoreBackend, _ hint: String) async throws -> ArchiveFixture {
        let sut = try backend.underTest()
        var stops: [@Sendable () -> Void] = [{ sut.cleanup() }]
        do {
            let binary = try TestBinary.prepare()
            stops.append { binary.cleanup() }
            let dir = try TempDirectory.make(prefix: "cloudwal-\(backend.rawValue)", ownedByServer: false)
            stops.append { dir.remove() }
            let bucket = try await sut.makeBucket(hint)
            return ArchiveFixture(sut: sut, binary: binary, dir: dir, bucket: bucket)
        } catch {
            for stop in stops.reversed() { stop() }
            throw error
        }
    }

    func cleanup() {
        binary.cleanup()
        dir.remove()
        sut.cleanup()
    }

    /// The archive URL of a bucket nobody created.
    func absentBucketAccess() -> StoreAccess { sut.access(bucket: sut.absentBucket("absent"), prefix: "p") }

    func unreachableAccess() throws -> StoreAccess {
        guard let dead = try sut.unreachableAccess(bucket: bucket, prefix: Self.prefix) else {
            throw HarnessError("\(backend) has no server to be unreachable")
        }
        return dead
    }

    /// Writes `data` as `pg_wal/<name>` and returns its path.
    @discardableResult
    func writeWAL(_ name: String, _ data: Data) throws -> String {
        let folder = dir.path + "/pg_wal"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A fresh destination path (not created) for a restore.
    func destination(_ name: String = "RECOVERYXLOG") throws -> String {
        let folder = dir.path + "/restore-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder + "/" + name
    }

    func key(_ name: String, ext: String = "") -> String {
        WALFixture.key(prefix: Self.prefix, server: Self.serverName, name: name, ext: ext)
    }

    // MARK: - The commands, as archive_command and restore_command run them

    /// `cloud-wal-archive [backend options] [options] URL pg1 <path>`; `env` replaces the environment.
    func archive(_ walPath: String, _ options: [String] = [], access: StoreAccess? = nil,
                 env: [String: String]? = nil) async throws -> ProcessResult {
        let target = access ?? self.access
        return try await binary.run(target.cliOptions + options + [target.url, Self.serverName, walPath],
                                    as: "cloud-wal-archive", env: env ?? target.environment)
    }

    /// `cloud-wal-restore [backend options] [options] URL pg1 <name> <dest>`.
    func restore(_ walName: String, to dest: String, _ options: [String] = [], access: StoreAccess? = nil,
                 env: [String: String]? = nil) async throws -> ProcessResult {
        let target = access ?? self.access
        return try await binary.run(target.cliOptions + options + [target.url, Self.serverName, walName, dest],
                                    as: "cloud-wal-restore", env: env ?? target.environment)
    }

    /// `-t` of either command (no WAL argument).
    func connectivityTest(_ tool: String, access: StoreAccess? = nil,
                          env: [String: String]? = nil) async throws -> ProcessResult {
        let target = access ?? self.access
        return try await binary.run(target.cliOptions + ["-t", target.url, Self.serverName], as: tool,
                                    env: env ?? target.environment)
    }

    /// Archives and throws with the tool's stderr unless it exits 0.
    func checkedArchive(_ walPath: String, _ options: [String] = []) async throws {
        let result = try await archive(walPath, options)
        guard result.succeeded else {
            throw HarnessError("cloud-wal-archive \(options.joined(separator: " ")) \(walPath) exited \(result.status): "
                               + lastLines(result.stderr, lines: 10))
        }
    }

    // MARK: - What is stored, read past cloud-wal

    func keys() async throws -> [String] { try await sut.storedKeys(bucket: bucket).sorted() }
    func objectData(_ key: String) async throws -> Data? { try await sut.storedData(bucket: bucket, key: key) }
    /// User metadata under our names (`cloudwal-sha256`), whatever the backend stores them as.
    func metadata(_ key: String, _ name: String) async throws -> String? {
        try await sut.storedMetadata(bucket: bucket, key: key)?[sut.metadataName(name)]
    }
    func tags(_ key: String) async throws -> [String: String] { try await sut.storedTags(bucket: bucket, key: key) }
    func version(_ key: String) async throws -> String? { try await sut.storedVersion(bucket: bucket, key: key) }
}

/// Reads a file the test produced.
func fileData(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

/// Hex SHA-256 via sha256sum (the test target has no crypto dependency of its own).
func sha256Hex(_ path: String) async throws -> String {
    let result = try await ProcessRunner.check("/usr/bin/sha256sum", [path])
    return String(result.stdout.prefix(64))
}

/// A port on 127.0.0.1 where nothing listens.
func deadEndpoint() throws -> String { "http://127.0.0.1:\(try Network.freeLoopbackPort())" }
