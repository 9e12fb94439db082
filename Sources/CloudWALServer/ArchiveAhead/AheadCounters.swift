import CloudWAL

/// What the look-ahead watcher has done, for `/status` (`archive_ahead`) and `/metrics`.
public struct AheadCounters: Sendable, Equatable {
    /// Segments stored ahead (or found already stored with the same content) and recorded.
    public var pushed = 0
    /// Uncompressed bytes of the segments newly stored ahead (none for one found already stored).
    public var pushedBytes = 0
    /// Pushes ahead that failed (PostgreSQL archives those segments itself).
    public var failed = 0
    /// `/wal-push` requests answered from a matching record, with no store request.
    public var answeredFromRecord = 0
    /// `/wal-push` requests that joined a push ahead in flight.
    public var joined = 0
    /// Records for other content than the local file: ignored, the segment archived normally.
    public var recordsIgnored = 0

    public init() {}

    func json(active: Bool, concurrency: Int, stateDirectory: String, inFlight: [String]) -> JSONText {
        .object([
            .init("concurrency", .int(concurrency)),
            .init("active", .bool(active)),
            .init("state_directory", .string(stateDirectory)),
            .init("pushed", .int(pushed)),
            .init("pushed_bytes", .int(pushedBytes)),
            .init("failed", .int(failed)),
            .init("answered_from_record", .int(answeredFromRecord)),
            .init("joined", .int(joined)),
            .init("records_ignored", .int(recordsIgnored)),
            .init("in_flight", .array(inFlight.map(JSONText.string))),
        ])
    }

    /// Prometheus text, appended to the sidecar's other families.
    func prometheusText(inFlight: Int) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(String, Int)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += name + (labels.isEmpty ? "" : "{\(labels)}") + " \(value)\n" }
        }
        family("cloud_wal_archive_ahead_pushes_total", "counter", "Segments pushed ahead of PostgreSQL's archiver, by result.",
               [("result=\"stored\"", pushed), ("result=\"failed\"", failed)])
        family("cloud_wal_archive_ahead_bytes_total", "counter", "Uncompressed bytes of WAL pushed ahead.", [("", pushedBytes)])
        family("cloud_wal_archive_ahead_answered_total", "counter",
               "wal-push requests answered from a look-ahead record, by how.",
               [("how=\"record\"", answeredFromRecord), ("how=\"joined\"", joined)])
        family("cloud_wal_archive_ahead_records_ignored_total", "counter",
               "Look-ahead records ignored because the local segment has other content.", [("", recordsIgnored)])
        family("cloud_wal_archive_ahead_in_flight", "gauge", "Pushes ahead in progress.", [("", inFlight)])
        return out
    }
}
