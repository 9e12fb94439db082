import CloudWAL

/// Runs base backups one at a time and remembers how each went, for `/backup-push`,
/// `POST /backups` (202 + poll) and `/status`.
public actor BackupJobTracker {
    public enum State: String, Sendable {
        case running
        case done
        case failed
    }

    public struct Job: Sendable, Equatable {
        public let id: String
        public let name: String?
        public var state: State
        public let startedAt: Timestamp
        public var finishedAt: Timestamp?
        public var result: BackupRunResult?
        /// Why the backup failed, one line.
        public var error: String?
    }

    /// A backup is already running; its job is `running`.
    public struct AlreadyRunning: Error, Sendable {
        public let running: Job
    }

    private let runner: any BaseBackupRunner
    private let clock: @Sendable () -> Timestamp
    private var jobs: [String: Job] = [:]
    private var order: [String] = []
    private var tasks: [String: Task<Job, Never>] = [:]
    private var counter: UInt64 = 0
    /// Finished jobs kept for polling; older ones are forgotten.
    private let retained: Int

    public init(runner: any BaseBackupRunner, retained: Int = 20, clock: @escaping @Sendable () -> Timestamp = Timestamp.now) {
        self.runner = runner
        self.retained = retained
        self.clock = clock
    }

    /// Starts a backup, or throws `AlreadyRunning` when one is in progress (a second backup of
    /// the same cluster at once only doubles the load and the storage).
    public func start(name: String?) throws -> Job {
        if let current = order.lazy.compactMap({ self.jobs[$0] }).first(where: { $0.state == .running }) {
            throw AlreadyRunning(running: current)
        }
        counter += 1
        let id = "\(clock().compactUTC)-\(counter)"
        let job = Job(id: id, name: name, state: .running, startedAt: clock())
        jobs[id] = job
        order.append(id)
        let runner = self.runner
        tasks[id] = Task {
            let outcome: Result<BackupRunResult, any Error>
            do { outcome = .success(try await runner.runBackup(name: name)) } catch { outcome = .failure(error) }
            return self.finish(id, outcome)
        }
        forgetOldJobs()
        return job
    }

    /// Waits for the job to finish; nil for an unknown id.
    public func wait(for id: String) async -> Job? {
        guard let task = tasks[id] else { return jobs[id] }
        return await task.value
    }

    public func job(_ id: String) -> Job? { jobs[id] }

    /// Every remembered job, oldest first.
    public var all: [Job] { order.compactMap { jobs[$0] } }

    /// Waits for a running backup to end (graceful shutdown).
    public func drain() async {
        for task in Array(tasks.values) { _ = await task.value }
    }

    private func finish(_ id: String, _ outcome: Result<BackupRunResult, any Error>) -> Job {
        guard var job = jobs[id] else { preconditionFailure("job \(id) vanished while running") }
        job.finishedAt = clock()
        switch outcome {
        case .success(let result):
            job.result = result
            job.error = result.error
            job.state = result.error == nil && result.status.uppercased() != "FAILED" ? .done : .failed
        case .failure(let error):
            job.state = .failed
            job.error = SidecarFailure(error).message
        }
        jobs[id] = job
        tasks[id] = nil
        return job
    }

    private func forgetOldJobs() {
        while order.count > retained, let oldest = order.first, jobs[oldest]?.state != .running {
            order.removeFirst()
            jobs[oldest] = nil
        }
    }
}
