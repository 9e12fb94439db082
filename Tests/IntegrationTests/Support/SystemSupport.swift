import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The account PostgreSQL runs as. `initdb` refuses to run as root, so when the tests run as root
/// (CI does) every server process runs as `postgres` through `runuser`; as any other user the
/// cluster simply belongs to that user.
struct ServerAccount: Sendable {
    let uid: uid_t
    let gid: gid_t
    /// Prefix that runs a command as the account, e.g. `["/usr/sbin/runuser", "-u", "postgres", "--"]`.
    let commandPrefix: [String]

    static let current: ServerAccount = {
        if geteuid() == 0, let pw = getpwnam("postgres") {
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            } ?? "runuser"
            return ServerAccount(uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid,
                                 commandPrefix: [runuser, "-u", "postgres", "--"])
        }
        return ServerAccount(uid: geteuid(), gid: getegid(), commandPrefix: [])
    }()

    /// Runs `executable` as the server account.
    func run(
        _ executable: String, _ arguments: [String], workingDirectory: String,
        environment: [String: String] = [:], timeout: Duration = .seconds(120)
    ) async throws -> ProcessResult {
        if commandPrefix.isEmpty {
            return try await ProcessRunner.run(executable, arguments, environment: environment,
                                               workingDirectory: workingDirectory, timeout: timeout)
        }
        // The working directory matters: postgres cannot enter /root, and initdb/pg_ctl complain
        // when they cannot return to their starting directory.
        // runuser keeps the environment (it resets only HOME, SHELL, USER and LOGNAME).
        return try await ProcessRunner.run(commandPrefix[0], Array(commandPrefix.dropFirst()) + [executable] + arguments,
                                           environment: environment, workingDirectory: workingDirectory, timeout: timeout)
    }

    /// Gives `path` to the server account (no-op unless we are root).
    func own(_ path: String) throws {
        guard geteuid() == 0 else { return }
        guard chown(path, uid, gid) == 0 else {
            throw HarnessError("chown \(path) to uid \(uid) failed: errno \(errno)")
        }
    }
}

/// A private directory under /tmp that the server account can use.
///
/// Always /tmp, never $TMPDIR: the postgres user must be able to traverse every parent, and a
/// developer's TMPDIR often lives under a 0700 home directory. Paths also stay short, which matters
/// because the Unix socket path (`<dir>/.s.PGSQL.<port>`) is limited to 107 bytes.
struct TempDirectory: Sendable {
    let path: String

    static func make(prefix: String, ownedByServer: Bool = true) throws -> TempDirectory {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw HarnessError("mkdtemp /tmp/\(prefix)-XXXXXX failed: errno \(errno)") }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // mkdtemp creates 0700; the server account (and root reading results) need 0755.
        guard chmod(path, 0o755) == 0 else { throw HarnessError("chmod \(path) failed: errno \(errno)") }
        if ownedByServer { try ServerAccount.current.own(path) }
        return TempDirectory(path: path)
    }

    /// Creates `name` inside this directory (0755, owned by the server account) and returns its path.
    func subdirectory(_ name: String, ownedByServer: Bool = true) throws -> String {
        let sub = (path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        if ownedByServer { try ServerAccount.current.own(sub) }
        return sub
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

enum Network {
    /// A TCP port on 127.0.0.1 that was free a moment ago: bind to port 0, ask the kernel which port
    /// it chose, close. Another process may grab it before the server binds, so callers retry on
    /// "could not bind".
    static func freeLoopbackPort() throws -> Int {
        #if os(Linux)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw HarnessError("bind 127.0.0.1:0 failed: errno \(errno)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw HarnessError("getsockname failed: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Polls `condition` until it returns a value or `timeout` passes. Every wait in the harness goes
/// through here so none can hang a CI run. It inherits the caller's isolation so an actor can poll
/// its own state without sending a closure across actors.
func waitUntil<T: Sendable>(
    isolation: isolated (any Actor)? = #isolation,
    timeout: Duration, interval: Duration = .milliseconds(100),
    _ what: String,
    _ condition: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await condition() { return value }
        if ContinuousClock.now >= deadline { throw HarnessError("timed out after \(timeout) waiting for \(what)") }
        try await Task.sleep(for: interval)
    }
}
