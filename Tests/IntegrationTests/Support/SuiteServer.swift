import Testing

/// A test server that runs as a `ServerProcess`: where it listens, its files and how it stops
/// come from there, so each server type keeps only its protocol and inspection helpers.
protocol ProcessBackedServer: Sendable {
    var process: ServerProcess { get }
}

/// A server that one suite trait starts for a whole suite; tests reach it through `shared()`.
protocol SuiteServer: ProcessBackedServer {
    /// The server of the enclosing suite trait, for `shared()`.
    static var suiteLocal: TaskLocal<Self?> { get }
    /// What `shared()` says in a suite without the trait.
    static var missingTraitMessage: String { get }
}

extension ProcessBackedServer {
    var port: Int { process.port }
    var directory: TempDirectory { process.directory }
    var logFile: String { process.logFile }

    func logText() -> String { process.logText() }

    /// Stops the server (whole process group) and removes its directory. Idempotent, never throws.
    func stop() async { await process.stop() }
}

extension SuiteServer {
    /// The suite's server, or a clear error when the suite lacks the trait.
    static func shared() throws -> Self {
        guard let server = suiteLocal.get() else { throw HarnessError(missingTraitMessage) }
        return server
    }
}

/// The body of a "one server per suite" trait: the server the enclosing suite already started
/// (nested suites and single tests inherit the task-local), or else one from `start`, stopped
/// after the body (also when it fails).
func withSuiteServer<Server: SuiteServer>(
    start: () async throws -> Server, _ body: @Sendable () async throws -> Void
) async throws {
    let current = Server.suiteLocal
    if current.get() != nil {
        try await body()
        return
    }
    let server = try await start()
    do {
        try await current.withValue(server) { try await body() }
        await server.stop()
    } catch {
        await server.stop()
        throw error
    }
}
