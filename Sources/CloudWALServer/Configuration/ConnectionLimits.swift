/// How long and how many connections each listener keeps, so slow or idle clients cannot hold
/// the sidecar: PostgreSQL's `archive_command` must always get a connection.
public struct ConnectionLimits: Sendable, Equatable {
    /// A connection with no request in progress is closed after this (`CLOUD_WAL_IDLE_TIMEOUT`).
    public var idleTimeout: Duration
    /// A request's head (and any body, which no route reads) must arrive within this of its first
    /// byte (`CLOUD_WAL_HEADER_TIMEOUT`): a slowloris sending a byte every few seconds is cut off.
    public var headerTimeout: Duration
    /// Connections open at once per listener (`CLOUD_WAL_MAX_CONNECTIONS`); the next ones are
    /// answered 503 and closed at once rather than queued.
    public var maxConnections: Int

    public init(idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10), maxConnections: Int = 64) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.maxConnections = maxConnections
    }
}
