import CloudWAL
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Starts `cloud-wal wal-prefetch` detached from the `wal-restore` call that needs it.
///
/// The child is our own binary (`/proc/self/exe`), in a session of its own (so PostgreSQL's
/// signals to the call's process group and the shell's exit leave it alone), with stdin, stdout
/// and stderr on /dev/null (PostgreSQL's log pipe is not held open) and no other descriptor:
/// every one the call holds is marked close-on-exec first. Its environment is the call's, which
/// is how credentials reach it; its argv carries only options that are no secrets (the URL and
/// endpoint are passed only when there is nothing in them to redact).
enum PrefetcherLaunch {
    /// glibc's `POSIX_SPAWN_SETSID` (2.26+), which Swift's Glibc module does not export.
    private static let spawnSetSID: Int32 = 0x80

    /// The child's argv after the executable: the hidden subcommand and the call's options.
    static func arguments(
        common: CommonOptions, parallel: Int, spoolDirectory: String, sourceURL: String, serverName: String,
        keyringPath: String? = nil
    ) -> [String]? {
        guard StorageURL.redacted(sourceURL) == sourceURL,
            common.endpointURL.map({ StorageURL.redacted($0) == $0 }) ?? true
        else { return nil }
        var arguments = ["wal-prefetch"]
        if let provider = common.cloudProvider { arguments += ["--cloud-provider", provider.rawValue] }
        if let endpoint = common.endpointURL { arguments += ["--endpoint-url", endpoint] }
        if let profile = common.awsProfile ?? common.profile { arguments += ["--aws-profile", profile] }
        arguments += ["--read-timeout", String(common.readTimeout)]
        if let style = common.addressingStyle { arguments += ["--addressing-style", style.rawValue] }
        if let credential = common.azureCredential { arguments += ["--azure-credential", credential.rawValue] }
        // The keyring's path, never its keys: the prefetcher reads and checks the file itself.
        if let keyringPath { arguments += [OptionSpelling.encryptionKeyring.flag, keyringPath] }
        arguments += ["-p", String(parallel), "--spool-dir", spoolDirectory, "--", sourceURL, serverName]
        return arguments
    }

    /// Starts the prefetcher; a failure only costs prefetching and is logged.
    static func start(_ arguments: [String], logger: Logger) {
        guard let executable = executablePath() else {
            logger.warning("Not prefetching: cannot find the path of the running binary")
            return
        }
        markDescriptorsCloseOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The runtime blocks and ignores signals in its threads; the child starts with defaults,
        // so an operator's SIGTERM ends it.
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(spawnSetSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        if status == 0 {
            logger.debug("Started the prefetcher (pid \(pid))")
        } else {
            logger.warning("Not prefetching: cannot start the prefetcher: \(String(cString: strerror(status)))")
        }
    }

    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whatever the call inherited from PostgreSQL or opened itself stays out of the child.
    /// The call ends right after, so the flag changes nothing for it.
    private static func markDescriptorsCloseOnExec() {
        guard let directory = opendir("/proc/self/fd") else { return }
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if let fd = Int32(name), fd > 2 { descriptors.append(fd) }
        }
        closedir(directory)
        for fd in descriptors {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
