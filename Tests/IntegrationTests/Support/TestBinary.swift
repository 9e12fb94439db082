import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The built `cloud-wal` executable, copied to a place PostgreSQL can execute it from.
///
/// archive_command/restore_command run as `postgres`, which may not be able to traverse the
/// checkout (e.g. under /root) and must not see the binary change under it if someone rebuilds
/// during a test run. So the binary is copied into a fresh 0755 directory under /tmp, next to the
/// `cloud-wal-archive` / `cloud-wal-restore` symlinks that select the subcommand by name.
struct TestBinary: Sendable {
    let directory: TempDirectory
    /// The copied `cloud-wal`.
    let path: String
    var archiveCommand: String { directory.path + "/cloud-wal-archive" }
    var restoreCommand: String { directory.path + "/cloud-wal-restore" }

    /// Package root: this file is <root>/Tests/IntegrationTests/Support/TestBinary.swift.
    static func packageRoot(filePath: String = #filePath) -> String {
        var url = URL(fileURLWithPath: filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }

    /// Where the binary is looked for, in order: `$CLOUD_WAL_BIN`, `.build/release`, `.build/debug`.
    static func locate() throws -> String {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["CLOUD_WAL_BIN"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw HarnessError("CLOUD_WAL_BIN=\(explicit) is not an executable file")
            }
            return explicit
        }
        let root = packageRoot()
        let candidates = [root + "/.build/release/cloud-wal", root + "/.build/debug/cloud-wal"]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        throw HarnessError("""
            cloud-wal is not built: looked for \(candidates.joined(separator: ", ")). \
            Run `swift build -c release --static-swift-stdlib` first (scripts/test.sh does), \
            or set CLOUD_WAL_BIN.
            """)
    }

    /// Copies the binary and creates the symlinks. Call `cleanup()` when done.
    static func prepare() throws -> TestBinary {
        let source = try locate()
        let dir = try TempDirectory.make(prefix: "cloudwal-bin", ownedByServer: false)
        do {
            let dest = dir.path + "/cloud-wal"
            try copyExecutable(from: source, to: dest)
            // Relative links, like scripts/install.sh makes: the dispatch is on argv[0]'s basename.
            for name in ["cloud-wal-archive", "cloud-wal-restore"] {
                try FileManager.default.createSymbolicLink(atPath: dir.path + "/" + name,
                                                           withDestinationPath: "cloud-wal")
            }
            return TestBinary(directory: dir, path: dest)
        } catch {
            dir.remove()
            throw HarnessError("cannot stage \(source) in \(dir.path): \(error)")
        }
    }

    /// Copies with an O_CLOEXEC descriptor. FileManager's copy leaves the destination open without
    /// it, so a child spawned by a concurrently running test inherits the write descriptor and
    /// every exec of the copy fails with ETXTBSY ("Text file busy") for as long as that child lives.
    private static func copyExecutable(from source: String, to dest: String) throws {
        guard let data = FileManager.default.contents(atPath: source) else {
            throw HarnessError("cannot read \(source)")
        }
        let fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw HarnessError("cannot create \(dest): errno \(errno)") }
        defer { close(fd) }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw HarnessError("write \(dest) failed: errno \(errno)") }
                offset += written
            }
        }
        // The umask may have trimmed the mode given to open().
        guard fchmod(fd, 0o755) == 0 else { throw HarnessError("chmod \(dest) failed: errno \(errno)") }
    }

    /// Runs the CLI. `name` picks the executable in the staging directory: `cloud-wal` (then the
    /// first argument is the subcommand), `cloud-wal-archive` or `cloud-wal-restore`.
    func run(_ args: [String], as name: String = "cloud-wal", env: [String: String] = [:],
             timeout: Duration = .seconds(60)) async throws -> ProcessResult {
        try await ProcessRunner.run(directory.path + "/" + name, args, environment: env, timeout: timeout)
    }

    func cleanup() {
        directory.remove()
    }
}
