import CloudWAL

/// What the sidecar has done and is doing: the source of `/status` and `/metrics`.
///
/// One actor records every request outcome; rendering reads a consistent snapshot.
public actor SidecarActivity {
    public enum Operation: String, Sendable, CaseIterable {
        case walPush = "wal_push"
        case walFetch = "wal_fetch"
        case backup
    }

    /// How a request ended, for counters and "last archived/failed".
    public enum Outcome: Sendable {
        case archived(bytes: Int, storedBytes: Int)
        case alreadyArchived
        case restored(bytes: Int)
        case backupFinished
        case failed(SidecarFailure)
    }

    public struct Event: Sendable, Equatable {
        public let segment: String
        public let time: Timestamp
        public let reason: String?
    }

    /// Upper bounds of the latency histogram, in seconds: a local push takes milliseconds, a
    /// cloud push of 16 MiB a fraction of a second to seconds.
    static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: SidecarActivity.latencyBuckets.count)
        var sum = 0.0
        var total = 0

        mutating func observe(_ seconds: Double) {
            for (index, bound) in SidecarActivity.latencyBuckets.enumerated() where seconds <= bound {
                counts[index] += 1
            }
            sum += seconds
            total += 1
        }
    }

    private let startedAt: Timestamp
    private var results: [Operation: [String: Int]] = [:]
    private var failures: [Operation: [String: Int]] = [:]
    private var latency: [Operation: Histogram] = [:]
    private var pushedBytes = 0
    private var storedBytes = 0
    private var fetchedBytes = 0
    private var joinedPushes = 0
    private var inFlight: [Operation: [String: Int]] = [:]
    public private(set) var lastArchived: Event?
    public private(set) var lastFailed: Event?

    public init(startedAt: Timestamp = .now()) {
        self.startedAt = startedAt
    }

    public func begin(_ operation: Operation, _ segment: String) {
        inFlight[operation, default: [:]][segment, default: 0] += 1
    }

    /// A request that ended; `began` is whether `begin` was called for it.
    public func end(
        _ operation: Operation, _ segment: String, outcome: Outcome, seconds: Double, began: Bool = true,
        joined: Bool = false
    ) {
        if began, let count = inFlight[operation]?[segment] {
            inFlight[operation]?[segment] = count > 1 ? count - 1 : nil
        }
        latency[operation, default: Histogram()].observe(seconds)
        if joined { joinedPushes += 1 }
        let label: String
        switch outcome {
        case .archived(let bytes, let stored):
            label = "archived"
            pushedBytes += bytes
            storedBytes += stored
            lastArchived = Event(segment: segment, time: .now(), reason: nil)
        case .alreadyArchived:
            label = "already_archived"
            lastArchived = Event(segment: segment, time: .now(), reason: nil)
        case .restored(let bytes):
            label = "restored"
            fetchedBytes += bytes
        case .backupFinished:
            label = "done"
        case .failed(let failure):
            label = failure.reason == .notFound ? "not_found" : "failed"
            // "Not found" is routine for restore_command (it probes ahead); not a failure.
            if failure.reason != .notFound {
                failures[operation, default: [:]][failure.reason.rawValue, default: 0] += 1
                lastFailed = Event(segment: segment, time: .now(), reason: failure.message)
            }
        }
        results[operation, default: [:]][label, default: 0] += 1
    }

    /// A request refused before any work (bad name, token): counted as a failure by reason.
    public func rejected(_ operation: Operation?, _ failure: SidecarFailure) {
        let name = operation?.rawValue ?? "other"
        rejectedCounts[name, default: [:]][failure.reason.rawValue, default: 0] += 1
    }

    private var rejectedCounts: [String: [String: Int]] = [:]

    public func inFlightSegments(_ operation: Operation) -> [String] {
        (inFlight[operation] ?? [:]).keys.sorted()
    }

    public func count(_ operation: Operation, result: String) -> Int { results[operation]?[result] ?? 0 }

    // MARK: - Rendering

    /// `/status`, with the backup jobs supplied by the caller.
    public func statusJSON(backups: [BackupJobTracker.Job]?) -> JSONText {
        func event(_ event: Event?) -> JSONText {
            guard let event else { return .null }
            var members: [JSONText.Member] = [.init("segment", .string(event.segment)), .init("time", .string(event.time.iso8601))]
            if let reason = event.reason { members.append(.init("reason", .string(reason))) }
            return .object(members)
        }
        func counts(_ operation: Operation) -> JSONText {
            .object((results[operation] ?? [:]).sorted { $0.key < $1.key }.map { JSONText.Member($0.key, .int($0.value)) })
        }
        return .object([
            .init("started_at", .string(startedAt.iso8601)),
            .init("last_archived", event(lastArchived)),
            .init("last_failed", event(lastFailed)),
            .init("in_flight", .object([
                .init("wal_push", .array(inFlightSegments(.walPush).map(JSONText.string))),
                .init("wal_fetch", .array(inFlightSegments(.walFetch).map(JSONText.string))),
            ])),
            .init("counts", .object([.init("wal_push", counts(.walPush)), .init("wal_fetch", counts(.walFetch))])),
            .init("backups", backups.map { .array($0.map(Self.json)) } ?? .null),
        ])
    }

    static func json(_ job: BackupJobTracker.Job) -> JSONText {
        .object([
            .init("id", .string(job.id)),
            .init("name", .optional(job.name)),
            .init("state", .string(job.state.rawValue)),
            .init("started_at", .string(job.startedAt.iso8601)),
            .init("finished_at", .optional(job.finishedAt?.iso8601)),
            .init("backup_id", .optional(job.result?.backupID)),
            .init("status", .optional(job.result?.status)),
            .init("begin_wal", .optional(job.result?.beginWAL)),
            .init("end_wal", .optional(job.result?.endWAL)),
            .init("error", .optional(job.error)),
        ])
    }

    /// `/metrics` in the Prometheus text exposition format (version 0.0.4).
    public func prometheusText() -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                out += name + (sample.labels.isEmpty ? "" : "{\(sample.labels)}") + " \(sample.value)\n"
            }
        }
        func labelled(_ table: [Operation: [String: Int]], _ key: String) -> [(labels: String, value: String)] {
            Operation.allCases.flatMap { operation in
                (table[operation] ?? [:]).sorted { $0.key < $1.key }.map {
                    ("operation=\"\(operation.rawValue)\",\(key)=\"\($0.key)\"", String($0.value))
                }
            }
        }
        family("cloud_wal_requests_total", "counter", "Requests by operation and result.", labelled(results, "result"))
        family("cloud_wal_failures_total", "counter", "Failed requests by operation and reason.",
               labelled(failures, "reason") + rejectedCounts.sorted { $0.key < $1.key }.flatMap { operation, reasons in
                   reasons.sorted { $0.key < $1.key }.map { ("operation=\"\(operation)\",reason=\"\($0.key)\"", String($0.value)) }
               })
        family("cloud_wal_pushes_joined_total", "counter", "Pushes that joined an upload of the same segment already running.",
               [("", String(joinedPushes))])
        family("cloud_wal_pushed_bytes_total", "counter", "Uncompressed bytes of WAL archived.", [("", String(pushedBytes))])
        family("cloud_wal_stored_bytes_total", "counter", "Bytes written to storage for archived WAL.", [("", String(storedBytes))])
        family("cloud_wal_fetched_bytes_total", "counter", "Uncompressed bytes of WAL restored.", [("", String(fetchedBytes))])
        family("cloud_wal_in_flight", "gauge", "Requests in progress.", Operation.allCases.map {
            ("operation=\"\($0.rawValue)\"", String((inFlight[$0] ?? [:]).values.reduce(0, +)))
        })
        family("cloud_wal_last_archived_timestamp_seconds", "gauge", "When a segment was last archived (0: never).",
               [("", lastArchived.map { String($0.time.unixSeconds) } ?? "0")])
        out += "# HELP cloud_wal_request_duration_seconds Request latency by operation.\n"
        out += "# TYPE cloud_wal_request_duration_seconds histogram\n"
        for operation in Operation.allCases {
            let histogram = latency[operation] ?? Histogram()
            let op = "operation=\"\(operation.rawValue)\""
            for (index, bound) in Self.latencyBuckets.enumerated() {
                out += "cloud_wal_request_duration_seconds_bucket{\(op),le=\"\(bound)\"} \(histogram.counts[index])\n"
            }
            out += "cloud_wal_request_duration_seconds_bucket{\(op),le=\"+Inf\"} \(histogram.total)\n"
            out += "cloud_wal_request_duration_seconds_sum{\(op)} \(histogram.sum)\n"
            out += "cloud_wal_request_duration_seconds_count{\(op)} \(histogram.total)\n"
        }
        return out
    }
}
