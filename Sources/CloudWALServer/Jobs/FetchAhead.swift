import CloudWAL
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The sidecar's restore prefetch (`CLOUD_WAL_FETCH_AHEAD`): after serving `/wal-fetch` of a
/// segment, the next `depth` segments are downloaded into the private spool, at most `depth`
/// at a time, so PostgreSQL's next requests are answered from local disk.
///
/// The sidecar is one long-running process, so this is in-process: the spool is private to it
/// (mkdtemp, 0700), every file in it was verified by this process's restorer before it got its
/// name, and the window is `PrefetchWindow`, the same bookkeeping as `wal-restore -p`'s
/// background prefetcher. A request for a segment being downloaded joins that download
/// (`SingleFlight`); a spooled segment is hard-linked to the request's own file, so concurrent
/// requests each get a complete copy and the spool entry stays for a retry until the window
/// moves past it. A request never fails because of prefetching: when a joined download fails,
/// or its file went out of the window meanwhile, the request downloads on its own.
public actor FetchAhead {
    public let depth: Int
    public let directory: String
    private let operations: any WALOperations
    private let downloads = SingleFlight<Int>()
    private let logger: Logger

    private var window: PrefetchWindow?
    private var inFlight: Set<String> = []
    /// Prefetches that failed since the newest request: not retried until the window moves.
    private var failed: Set<String> = []
    /// The first segment found missing: nothing at or after it is fetched ahead until a
    /// request for it (or later) is served, so a standby waiting at the end of the archive
    /// costs one listing per request, as without prefetch.
    private var end: WALFileName?

    /// How a request was answered, for the log and the tests.
    public enum Source: Sendable, Equatable {
        case spool
        case joined
        case archive
    }

    public init(depth: Int, directory: String, operations: any WALOperations, logger: Logger) {
        self.depth = max(0, depth)
        self.directory = directory
        self.operations = operations
        self.logger = logger
    }

    /// Segment names being fetched ahead now, sorted.
    public var fetching: [String] { inFlight.sorted() }

    /// Restores `wal` into `destination` (a fresh path in the spool), from the spool when it is
    /// there or on its way, else from the archive; then moves the window past it.
    public func fetch(_ wal: WALFileName, to destination: String) async throws -> (size: Int, source: Source) {
        guard depth > 0, wal.kind == .segment else {
            return (try await operations.fetch(wal, to: destination), .archive)
        }
        var served: (size: Int, source: Source)?
        if let size = linkSpooled(wal.name, to: destination) {
            served = (size, .spool)
        } else if inFlight.contains(wal.name) {
            if (try? await join(wal)) != nil, let size = linkSpooled(wal.name, to: destination) {
                served = (size, .joined)
            } else {
                logger.info("fetching \(wal.name) ahead did not give a file to hand over; downloading it for the request")
            }
        }
        let answer: (size: Int, source: Source)
        if let served {
            answer = served
        } else {
            answer = (try await operations.fetch(wal, to: destination), .archive)
        }
        advance(past: wal, segmentSize: answer.size)
        return answer
    }

    private func join(_ wal: WALFileName) async throws -> Int {
        let operations = self.operations
        let target = path(for: wal.name)
        return try await downloads.run(wal.name) { try await operations.fetchAhead(wal, to: target) }.value
    }

    private func path(for name: String) -> String { directory + "/" + name }

    /// Hard-links the spooled `name` to `destination`; its size, or nil when it is not there.
    private func linkSpooled(_ name: String, to destination: String) -> Int? {
        let source = path(for: name)
        guard Glibc.link(source, destination) == 0 else { return nil }
        guard let handle = try? FileHandle.openForReading(destination), let size = try? handle.size() else {
            try? FileSystemOps.remove(destination)
            return nil
        }
        try? handle.close()
        return size
    }

    /// Makes `wal` the newest request: removes what is outside the new window and starts the
    /// downloads it lacks.
    private func advance(past wal: WALFileName, segmentSize: Int) {
        guard let sequence = WALSegmentSequence(segmentSize: segmentSize) else { return }
        if window?.newest != wal { failed = [] }
        if let end, end.timeline == wal.timeline, let reached = sequence.number(of: wal),
            let missing = sequence.number(of: end), reached >= missing
        {
            self.end = nil
        }
        window = PrefetchWindow(newest: wal, sequence: sequence, depth: depth)
        schedule()
    }

    private func schedule() {
        guard let window else { return }
        let plan = window.plan(spooled: spooledSegments(), inFlight: inFlight, skipped: failed, end: end, limit: depth)
        for name in plan.remove { try? FileSystemOps.remove(path(for: name)) }
        for name in plan.fetch {
            guard let wal = WALFileName(name) else { continue }
            inFlight.insert(name)
            Task { await self.prefetch(wal) }
        }
    }

    private func prefetch(_ wal: WALFileName) async {
        let outcome: Result<Int, any Error>
        do {
            outcome = .success(try await join(wal))
        } catch {
            outcome = .failure(error)
        }
        inFlight.remove(wal.name)
        switch outcome {
        case .success:
            logger.debug("fetched \(wal.name) ahead into the spool")
        case .failure(let error as WALError) where error.kind == .notFound:
            if end.map({ wal.name < $0.name }) ?? true { end = wal }
        case .failure(let error):
            failed.insert(wal.name)
            logger.warning("fetching \(wal.name) ahead failed: \(error)")
        }
        // The window may have moved while it ran: what is now outside it goes.
        schedule()
    }

    private func spooledSegments() -> Set<String> {
        guard let entries = try? FileSystemOps.contents(of: directory) else { return [] }
        var names: Set<String> = []
        for entry in entries where !entry.isDirectory {
            if let wal = WALFileName(entry.name), wal.kind == .segment { names.insert(entry.name) }
        }
        return names
    }
}
