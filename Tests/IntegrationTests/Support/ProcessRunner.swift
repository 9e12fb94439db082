import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Error thrown by the test harness. The message is meant to be read in a CI log, so it carries
/// the command, its exit status and the interesting part of its output.
struct HarnessError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Result of one finished child process.
struct ProcessResult: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String
    /// True when the harness had to kill the process because its deadline passed.
    let timedOut: Bool

    var succeeded: Bool { status == 0 && !timedOut }
}

enum ProcessRunner {
    /// Stops a background server started in its own process group: SIGTERM to the group, up to
    /// `grace` for the leader to exit, then SIGKILL to whatever is left, and the leader reaped.
    static func stopProcessGroup(_ pid: pid_t, grace: Duration = .seconds(5)) async {
        kill(-pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        var status: Int32 = 0
        var reaped = false
        while ContinuousClock.now < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno == ECHILD) {
                reaped = true
                break
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill(-pid, SIGKILL)
        if !reaped { _ = waitpid(pid, &status, 0) }
    }

    /// Runs `executable` with `arguments` and waits for it, at most `timeout`.
    ///
    /// Uses posix_spawn + waitpid rather than Foundation's `Process`: on Linux, `Process` decides a
    /// child has exited when a socket it shares with the child closes, and `pg_ctl start` leaves the
    /// postmaster holding that socket, so `isRunning` would stay true for the server's lifetime.
    /// Output goes to temporary files rather than pipes for the same reason (and so a chatty child
    /// never blocks on a full pipe). Each child gets its own process group so a timeout kills the
    /// whole tree. Environment variables starting with `PG` are dropped so a developer's
    /// PGDATA/PGPORT/PGHOST cannot redirect the harness to a real cluster; `environment` is added on top.
    static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> ProcessResult {
        let outPath = try makeTempFile(prefix: "cloudwal-out")
        let errPath = try makeTempFile(prefix: "cloudwal-err")
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        env.merge(environment) { _, new in new }
        // `env -C` changes directory in the child; posix_spawn has no portable chdir action.
        var argv = [executable] + arguments
        if let workingDirectory { argv = ["/usr/bin/env", "-C", workingDirectory] + argv }
        let pid = try spawn(argv, environment: env, stdout: outPath, stderr: errPath)

        let deadline = ContinuousClock.now + timeout
        var timedOut = false
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { throw HarnessError("waitpid \(pid) failed: errno \(errno)") }
            if !timedOut && (ContinuousClock.now >= deadline || Task.isCancelled) {
                timedOut = true
                kill(-pid, SIGTERM)
                // Give it a moment to exit cleanly, then make sure.
                let grace = ContinuousClock.now + .seconds(3)
                while waitpid(pid, &status, WNOHANG) == 0 && ContinuousClock.now < grace {
                    usleep(50_000)
                }
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                break
            }
            // try? : a cancelled task still has to reap its child; the loop then sees Task.isCancelled.
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Decode the wait status by hand: the WIFEXITED macros are not imported into Swift.
        let signal = status & 0x7f
        let exitCode: Int32 = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        let stdout = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        return ProcessResult(status: exitCode, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// Spawns `argv` in its own process group with a clean signal state. Output goes to `stdout`
    /// and `stderr` (truncated), or, with `stderr` nil, both to `stdout` opened for appending.
    static func spawn(_ argv: [String], environment: [String: String],
                      stdout: String, stderr: String?) throws -> pid_t {
        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        // CI has no stdin; never let a child wait for a password prompt.
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_TRUNC, 0)
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_TRUNC, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_APPEND, 0)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // The spawning thread is a Swift concurrency worker whose signal mask blocks SIGTERM, SIGALRM
        // and friends, and the runtime ignores SIGPIPE; a child would inherit both (pgbench -T never
        // ends, timeouts cannot kill). Start every child with an empty mask and default handlers.
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGPIPE, SIGTERM, SIGINT, SIGALRM, SIGCHLD, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, sig)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        posix_spawnattr_setflags(&attributes, Int16(flags))
        posix_spawnattr_setpgroup(&attributes, 0)

        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        var rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        // ETXTBSY: another thread is between fork and exec while holding a write descriptor to
        // this executable (a test staging its binary). The window is tiny; wait it out.
        var attempts = 0
        while rc == ETXTBSY && attempts < 40 {
            attempts += 1
            usleep(50_000)
            rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        }
        guard rc == 0 else {
            throw HarnessError("cannot start \(argv.joined(separator: " ")): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Like `run`, but throws a readable error unless the command exits 0 in time.
    @discardableResult
    static func check(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        timeout: Duration = .seconds(120),
        context: @autoclosure () -> String = ""
    ) async throws -> ProcessResult {
        let result = try await run(executable, arguments, environment: environment,
                                   workingDirectory: workingDirectory, timeout: timeout)
        guard result.succeeded else {
            let what = result.timedOut ? "timed out after \(timeout)" : "exited \(result.status)"
            var message = "\(([executable] + arguments).joined(separator: " ")) \(what)\n"
            message += "stdout: \(lastLines(result.stdout))\nstderr: \(lastLines(result.stderr))"
            let extra = context()
            if !extra.isEmpty { message += "\n\(extra)" }
            throw HarnessError(message)
        }
        return result
    }

    private static func makeTempFile(prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw HarnessError("mkstemp failed: errno \(errno)") }
        close(fd)
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Last `lines` lines of `text`: enough to diagnose, short enough for a CI log.
func lastLines(_ text: String, lines: Int = 30) -> String {
    let all = text.split(separator: "\n", omittingEmptySubsequences: false)
    return all.suffix(lines).joined(separator: "\n")
}
