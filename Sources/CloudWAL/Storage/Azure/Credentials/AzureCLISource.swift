import Glibc

/// `az account get-access-token --resource https://storage.azure.com/ -o json`, when `az` is on
/// the PATH: the identity of whoever ran `az login`.
public struct AzureCLISource: AzureTokenSource {
    let environment: Environment
    /// Chosen explicitly (`--azure-credential azure-cli`): a missing `az` is an error.
    let required: Bool
    let now: @Sendable () -> Int

    public var sourceName: String { "Azure CLI" }

    public init(environment: Environment, required: Bool, now: @escaping @Sendable () -> Int = { Int(time(nil)) }) {
        self.environment = environment
        self.required = required
        self.now = now
    }

    /// The first executable `az` on `PATH`.
    var executable: String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/az"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    public func resolveToken() async throws -> AzureAccessToken? {
        guard let az = executable else {
            guard required else { return nil }
            throw StorageError(.accessDenied, "--azure-credential azure-cli: the az command is not on the PATH")
        }
        let result = try ChildProcess.run(
            [az, "account", "get-access-token", "--resource", AzureStorageScope.resource, "-o", "json"],
            environment: environment)
        guard result.status == 0 else {
            let detail = AWSErrorText.sanitized(result.stderr.isEmpty ? "exit status \(result.status)" : result.stderr)
            if !required && detail.contains("az login") { return nil }
            throw StorageError(.accessDenied, "az account get-access-token failed: \(detail)")
        }
        guard let fields = AzureTokenResponse.fields(Array(result.stdout.utf8)),
            let token = AzureTokenResponse.token(fields, now: now())
        else { throw StorageError(.failed, "az account get-access-token printed no token") }
        return token
    }
}

/// Runs a short-lived command and collects its output (posix_spawn, no Foundation).
enum ChildProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ argv: [String], environment: Environment) throws -> Result {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw StorageError(.failed, "Cannot run \(argv[0]): \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for descriptor in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }

        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.values.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, arguments, variables)
        close(outPipe[1])
        close(errPipe[1])
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        guard spawned == 0 else {
            throw StorageError(.failed, "Cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        // The outputs are small (a token document, an error line); read one, then the other.
        let stdout = readAll(outPipe[0])
        let stderr = readAll(errPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exitStatus, stdout: stdout, stderr: stderr)
    }

    private static func readAll(_ descriptor: Int32) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while bytes.count < 1 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
