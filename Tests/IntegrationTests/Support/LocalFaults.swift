import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Local faults for the fault suites: a command killed with SIGKILL at a chosen moment, and small
/// real filesystems (tmpfs, which the tests may mount because CI runs them as root) that are full
/// or read-only.
enum LocalFaults {
    /// Starts `tool` of the workspace's binary in the background (through the proxy), waits until
    /// `rule` has fired on the proxy (the command is then stuck in the fault), kills it with
    /// SIGKILL and returns its output, checked for secrets like every other command's.
    static func killWhenFired(_ ws: FaultWorkspace, rule: String, tool: String, _ args: [String]) async throws
        -> ProcessResult
    {
        let out = ws.dir.path + "/killed-\(randomToken(6)).out"
        let err = out + ".err"
        FileManager.default.createFile(atPath: out, contents: Data())
        FileManager.default.createFile(atPath: err, contents: Data())
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        env.merge(ws.backend.environment()) { _, new in new }
        let argv = [ws.backend.binary.directory.path + "/" + tool]
            + ws.backend.options() + ["--read-timeout", "60"] + args
        let pid = try ProcessRunner.spawn(argv, environment: env, stdout: out, stderr: err)
        var status: Int32 = 0
        do {
            _ = try await waitUntil(timeout: .seconds(60), "rule \(rule) to fire") { () async throws -> Bool? in
                let fired = try await ws.backend.proxy.events(rule: rule).contains { $0.action != "stall_ended" }
                if fired { return true }
                if waitpid(pid, &status, WNOHANG) == pid { throw HarnessError("\(tool) ended before the fault fired") }
                return nil
            }
        } catch {
            kill(-pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            throw error
        }
        // Let the command get into the stalled request, then kill the whole group without warning.
        try await Task.sleep(for: .milliseconds(300))
        kill(-pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        let result = ProcessResult(
            status: 128 + (status & 0x7f),
            stdout: String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self),
            stderr: String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self),
            timedOut: false)
        unlink(out)
        unlink(err)
        let leaks = ws.backend.scan.findings(in: result.stdout + "\n" + result.stderr)
        #expect(leaks.isEmpty, "\(tool) (killed) printed secret material: \(leaks.joined(separator: ", "))")
        return result
    }

    /// Mounts a tmpfs of `kibibytes` at a fresh directory under the workspace (read-only if asked),
    /// runs `body` with its path and always unmounts it.
    static func withTmpfs<T: Sendable>(
        _ ws: FaultWorkspace, kibibytes: Int, readOnly: Bool = false,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (String) async throws -> T
    ) async throws -> T {
        let mountPoint = try ws.restoreDirectory()
        var options = "size=\(kibibytes)k,mode=0755"
        if readOnly { options += ",ro" }
        try await ProcessRunner.check("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", mountPoint],
                                      timeout: .seconds(30),
                                      context: "the full-disk and read-only tests mount a tmpfs and need root")
        do {
            let value = try await body(mountPoint)
            try await unmount(mountPoint)
            return value
        } catch {
            try? await unmount(mountPoint)
            throw error
        }
    }

    private static func unmount(_ path: String) async throws {
        try await ProcessRunner.check("/bin/umount", [path], timeout: .seconds(30))
    }
}
