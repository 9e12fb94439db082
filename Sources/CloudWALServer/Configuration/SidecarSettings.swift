#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How the sidecar listens and where PostgreSQL's files are; the archive itself is configured
/// like `wal-archive` and handed over as ready-made operations.
public struct SidecarSettings: Sendable {
    public var listenAddress: String
    public var listenPort: Int
    /// `CLOUD_WAL_LISTEN_SOCKET`: a UNIX socket (mode 0600, this process's uid) served without a
    /// token, beside the TCP listener.
    public var socketPath: String?
    /// PGDATA: `?dest=` may be spelled `$PGDATA/pg_wal/<name>`.
    public var dataDirectory: String
    /// PGWAL: where `/wal-push/<segment>` reads from and `?dest=` writes to.
    public var walDirectory: String
    public var token: BearerToken?
    /// `CLOUD_WAL_ALLOW_UNAUTHENTICATED=true`: serve TCP without a token (warned about).
    public var allowUnauthenticated: Bool
    /// Longest a request waits for its answer. An upload that outlives it goes on, and a retry
    /// of the same segment joins it.
    public var requestTimeout: Duration
    /// Where `/wal-fetch` restores a segment before sending it or putting it at `dest`.
    public var spoolDirectory: String
    /// `CLOUD_WAL_FETCH_AHEAD`: segments kept ready in the spool after each `/wal-fetch` of a
    /// segment (`FetchAhead`); 0 turns prefetching off.
    public var fetchAhead: Int
    public var limits: ConnectionLimits
    /// `CLOUD_WAL_ARCHIVE_AHEAD`: segments marked ready that are pushed ahead of PostgreSQL's
    /// archiver at a time (`ArchiveAhead`); 0 turns it off.
    public var archiveAhead: Int
    /// `CLOUD_WAL_STATE_DIR`: where records of segments pushed ahead are kept, one private
    /// folder per archive URL and server (`ArchiveStateDirectory`).
    public var stateDirectory: String

    public static let defaultArchiveAhead = 4
    public static let maximumArchiveAhead = 64

    /// The most `CLOUD_WAL_FETCH_AHEAD` may ask for: each is a segment on disk and a download.
    public static let maxFetchAhead = 64

    public init(
        listenAddress: String = "0.0.0.0", listenPort: Int = 80, socketPath: String? = nil,
        dataDirectory: String = "/var/lib/postgresql/data", walDirectory: String? = nil,
        token: BearerToken? = nil, allowUnauthenticated: Bool = false,
        requestTimeout: Duration = .seconds(600), spoolDirectory: String = "/tmp", fetchAhead: Int = 0,
        limits: ConnectionLimits = ConnectionLimits(), archiveAhead: Int = SidecarSettings.defaultArchiveAhead,
        stateDirectory: String? = nil
    ) {
        self.listenAddress = listenAddress
        self.listenPort = listenPort
        self.socketPath = socketPath
        self.dataDirectory = dataDirectory
        self.walDirectory = walDirectory ?? dataDirectory + "/pg_wal"
        self.token = token
        self.allowUnauthenticated = allowUnauthenticated
        self.requestTimeout = requestTimeout
        self.spoolDirectory = spoolDirectory
        self.fetchAhead = fetchAhead
        self.limits = limits
        self.archiveAhead = archiveAhead
        // Beside the spool by default: the one place the operator gave for the sidecar's own files.
        self.stateDirectory = stateDirectory ?? Self.defaultStateDirectory(spoolDirectory: spoolDirectory)
    }

    public static func defaultStateDirectory(spoolDirectory: String) -> String {
        (spoolDirectory.hasSuffix("/") ? spoolDirectory : spoolDirectory + "/") + "cloud-wal-archive-ahead"
    }

    /// Who may use the TCP listener: the token holder; anyone, when the operator opted out;
    /// or, with neither (a UNIX socket serves instead), nobody but `/ping`.
    public var tcpAccess: AccessPolicy {
        if let token { return .token(token) }
        return allowUnauthenticated ? .open : .socketOnly
    }

    /// Whether only this machine can connect: 127.0.0.0/8, ::1 or `localhost`.
    public var isLoopback: Bool {
        let address = listenAddress.hasPrefix("[") && listenAddress.hasSuffix("]")
            ? String(listenAddress.dropFirst().dropLast()) : listenAddress
        if address == "localhost" || address == "::1" { return true }
        let octets = address.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// A warning when PGDATA belongs to another user than this process: restored segments would
    /// be this process's, mode 0600, and PostgreSQL could not read them (the sidecar should run
    /// with PostgreSQL's uid). Nil when PGDATA does not exist yet or matches.
    public func ownershipWarning(effectiveUID: uid_t = geteuid()) -> String? {
        var info = stat()
        guard stat(dataDirectory, &info) == 0, info.st_uid != effectiveUID else { return nil }
        return "PGDATA \(dataDirectory) belongs to uid \(info.st_uid) but cloud-wal serve runs as uid \(effectiveUID): "
            + "PostgreSQL may not be able to read restored segments; run the sidecar with PostgreSQL's uid"
    }

    /// The warning for a TCP listener without a token, also shown in `/status`.
    public var unauthenticatedWarning: String? {
        guard token == nil, allowUnauthenticated else { return nil }
        return "serving \(listenAddress):\(listenPort) WITHOUT a token (CLOUD_WAL_ALLOW_UNAUTHENTICATED=true): "
            + "anyone who can connect can read the database's WAL, write into pg_wal and start backups"
    }

    /// Refuses what is unsafe to start with; returns warnings for what is allowed but risky.
    ///
    /// `/wal-fetch` hands out the database's contents and writes into pg_wal, `/wal-push` makes
    /// the service read it, and on a shared host or pod loopback is not private: every
    /// route but `/ping` needs the token, on loopback too, unless a UNIX socket (which the
    /// file's permissions guard) serves instead or the operator opted out.
    public func validate() throws -> [String] {
        guard (1...65535).contains(listenPort) else {
            throw SidecarFailure(status: 400, reason: .badRequest, message: "listen port \(listenPort) is not 1-65535")
        }
        for (name, value) in [
            ("the request timeout", requestTimeout), ("CLOUD_WAL_IDLE_TIMEOUT", limits.idleTimeout),
            ("CLOUD_WAL_HEADER_TIMEOUT", limits.headerTimeout),
        ] where value <= .zero {
            throw SidecarFailure(status: 400, reason: .badRequest, message: "\(name) must be positive")
        }
        guard (0...Self.maximumArchiveAhead).contains(archiveAhead) else {
            throw SidecarFailure(
                status: 400, reason: .badRequest,
                message: "CLOUD_WAL_ARCHIVE_AHEAD must be 0 (off) to \(Self.maximumArchiveAhead)")
        }
        guard !stateDirectory.isEmpty else {
            throw SidecarFailure(status: 400, reason: .badRequest, message: "CLOUD_WAL_STATE_DIR must not be empty")
        }
        guard (0...Self.maxFetchAhead).contains(fetchAhead) else {
            throw SidecarFailure(
                status: 400, reason: .badRequest,
                message: "CLOUD_WAL_FETCH_AHEAD must be 0 (off) to \(Self.maxFetchAhead) segments")
        }
        guard limits.maxConnections >= 1 else {
            throw SidecarFailure(status: 400, reason: .badRequest, message: "CLOUD_WAL_MAX_CONNECTIONS must be at least 1")
        }
        if token == nil, !allowUnauthenticated, socketPath == nil {
            throw SidecarFailure(
                status: 401, reason: .unauthorized,
                message: "no token: set CLOUD_WAL_TOKEN or CLOUD_WAL_TOKEN_FILE, or CLOUD_WAL_LISTEN_SOCKET=/path "
                    + "(a UNIX socket needing no token), or CLOUD_WAL_ALLOW_UNAUTHENTICATED=true to serve anyone who can connect")
        }
        return unauthenticatedWarning.map { [$0] } ?? []
    }
}
