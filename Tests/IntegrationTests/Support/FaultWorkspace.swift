import Foundation
import Testing

/// One scenario's world: a bucket of its own on the suite's backend, a scratch directory (a fake
/// `pg_wal`, restore destinations, a spool) and the commands, every one run through
/// `CheckedCommand` so its output is checked for secrets.
struct FaultWorkspace: Sendable {
    /// What a run of cloud-wal came to.
    struct Run: Sendable {
        let result: ProcessResult
        let seconds: Double
        var status: Int32 { result.status }
        /// One line for messages and the matrix (no output: that was checked for secrets, not echoed whole).
        var summary: String {
            result.timedOut ? "hung (killed after \(Int(seconds)) s)" : "exit \(result.status) in \(String(format: "%.1f", seconds)) s"
        }
    }

    /// `--read-timeout` for every command: the bound under test is a few of these.
    static let readTimeout = "3"
    /// The harness kills a command after this long and reports it as hung.
    static let hangLimit: Duration = .seconds(90)

    let backend: FaultBackend
    let bucket: String
    let dir: TempDirectory

    static func make(_ backend: FaultBackend, hint: String) async throws -> FaultWorkspace {
        let dir = try TempDirectory.make(prefix: "cloudwal-fault", ownedByServer: false)
        do {
            let bucket = try await backend.makeBucket(hint)
            return FaultWorkspace(backend: backend, bucket: bucket, dir: dir)
        } catch {
            dir.remove()
            throw error
        }
    }

    func cleanup() { dir.remove() }

    var walDirectory: String { dir.path + "/pg_wal" }
    var spoolDirectory: String { dir.path + "/spool" }

    func key(_ name: String) -> String {
        WALFixture.key(prefix: FaultBackend.prefix, server: FaultBackend.server, name: name)
    }

    /// Writes segment `number` into the fake pg_wal and returns its path and bytes.
    func writeSegment(_ number: Int) throws -> (path: String, data: Data) {
        try FileManager.default.createDirectory(atPath: walDirectory, withIntermediateDirectories: true)
        let data = FaultWAL.segment(number, seed: UInt64(number) &* 7919 ^ UInt64(bucket.hashValue.magnitude))
        let path = walDirectory + "/" + FaultWAL.name(number)
        try data.write(to: URL(fileURLWithPath: path))
        return (path, data)
    }

    /// A fresh empty directory for one restore; the destination is `RECOVERYXLOG` in it.
    func restoreDirectory() throws -> String {
        let path = dir.path + "/restore-" + randomToken(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // MARK: - Commands

    func run(_ tool: String, _ args: [String], proxied: Bool = true, workingDirectory: String? = nil,
             timeout: Duration = hangLimit) async throws -> Run {
        // `cloud-wal SUBCOMMAND`: the options follow the subcommand.
        let common = backend.options(proxied: proxied) + ["--read-timeout", Self.readTimeout]
        let argv = tool == "cloud-wal" ? Array(args.prefix(1)) + common + args.dropFirst() : common + args
        let start = ContinuousClock.now
        let result = try await CheckedCommand.run(
            backend.binary.directory.path + "/" + tool, argv,
            environment: backend.environment(proxied: proxied), scan: backend.scan,
            workingDirectory: workingDirectory, timeout: timeout)
        let elapsed = ContinuousClock.now - start
        return Run(result: result, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    func archive(_ path: String, proxied: Bool = true) async throws -> Run {
        try await run("cloud-wal-archive", [backend.url(bucket, proxied: proxied), FaultBackend.server, path],
                      proxied: proxied)
    }

    /// `extra` options come after the workspace's own (`--read-timeout 60` overrides its 3 s).
    func restore(_ name: String, into directory: String, parallel: Int? = nil, spool: String? = nil,
                 proxied: Bool = true, workingDirectory: String? = nil, extra: [String] = []) async throws -> Run {
        var args: [String] = []
        if let parallel { args += ["-p", String(parallel), "--spool-dir", spool ?? spoolDirectory] }
        args += extra + [backend.url(bucket, proxied: proxied), FaultBackend.server, name, directory + "/RECOVERYXLOG"]
        return try await run("cloud-wal-restore", args, proxied: proxied, workingDirectory: workingDirectory)
    }

    func backupList(proxied: Bool = true) async throws -> Run {
        try await run("cloud-wal", ["backup-list", "--format", "json", backend.url(bucket, proxied: proxied),
                                    FaultBackend.server], proxied: proxied)
    }

    /// Archives segments `numbers` straight to the store (no proxy) and returns their bytes by name.
    func seed(_ numbers: [Int]) async throws -> [String: Data] {
        var stored: [String: Data] = [:]
        for number in numbers {
            let segment = try writeSegment(number)
            let run = try await archive(segment.path, proxied: false)
            guard run.status == 0 else {
                throw HarnessError("seeding \(FaultWAL.name(number)) failed: \(run.summary): \(lastLines(run.result.stderr, lines: 5))")
            }
            stored[FaultWAL.name(number)] = segment.data
        }
        return stored
    }

    // MARK: - State

    /// Regular files under `path`, relative to it (directories left out).
    static func files(under path: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return [] }
        var found: [String] = []
        while let item = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + item, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(item)
            }
        }
        return found.sorted()
    }
}
