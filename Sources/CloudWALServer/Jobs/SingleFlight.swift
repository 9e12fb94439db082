/// At most one running operation per key; callers that arrive while it runs share its result.
///
/// Two `wal-push` requests for the same segment (PostgreSQL retrying after a timeout, or two
/// callers) then cause one upload, not a race between two uploads of the same object. The
/// operation runs in its own task, so it is not cancelled when a waiting request gives up, and
/// it removes itself when done, whoever is still waiting.
public actor SingleFlight<Value: Sendable> {
    private var running: [String: (generation: UInt64, task: Task<Value, any Error>)] = [:]
    private var nextGeneration: UInt64 = 0
    /// Callers that joined an operation already running, since start.
    public private(set) var joins = 0

    public init() {}

    /// The operation's result; `joined` is true when another caller had already started it.
    public func run(
        _ key: String, _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> (value: Value, joined: Bool) {
        if let existing = running[key] {
            joins += 1
            return (try await existing.task.value, true)
        }
        return (try await start(key, operation).value, false)
    }

    /// The operation's result, or nil without running it when one already runs for `key`:
    /// the look-ahead watcher never joins an upload PostgreSQL asked for, it leaves it be.
    public func runIfIdle(
        _ key: String, _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value? {
        guard running[key] == nil else { return nil }
        return try await start(key, operation).value
    }

    private func start(_ key: String, _ operation: @escaping @Sendable () async throws -> Value) -> Task<Value, any Error> {
        nextGeneration += 1
        let generation = nextGeneration
        let task = Task {
            let result: Result<Value, any Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            self.finished(key, generation: generation)
            return try result.get()
        }
        running[key] = (generation, task)
        return task
    }

    /// Keys with an operation in progress, sorted.
    public var keys: [String] { running.keys.sorted() }

    /// Waits until nothing runs any more (graceful shutdown: in-flight uploads finish).
    public func drain() async {
        while let (_, entry) = running.first {
            _ = try? await entry.task.value
        }
    }

    private func finished(_ key: String, generation: UInt64) {
        if running[key]?.generation == generation { running[key] = nil }
    }
}
