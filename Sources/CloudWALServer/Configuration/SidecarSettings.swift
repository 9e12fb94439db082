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
    /// PGDATA: `?dest=` must resolve inside it.
    public var dataDirectory: String
    /// PGWAL: where `/wal-push/<segment>` reads from.
    public var walDirectory: String
    public var token: BearerToken?
    /// `CLOUD_WAL_ALLOW_UNAUTHENTICATED=true`: listen beyond loopback without a token.
    public var allowUnauthenticated: Bool
    /// Longest a request waits for its answer. An upload that outlives it goes on, and a retry
    /// of the same segment joins it.
    public var requestTimeout: Duration
    /// Where `/wal-fetch` without `dest` restores a segment before sending it.
    public var spoolDirectory: String

    public init(
        listenAddress: String = "0.0.0.0", listenPort: Int = 80,
        dataDirectory: String = "/var/lib/postgresql/data", walDirectory: String? = nil,
        token: BearerToken? = nil, allowUnauthenticated: Bool = false,
        requestTimeout: Duration = .seconds(600), spoolDirectory: String = "/tmp"
    ) {
        self.listenAddress = listenAddress
        self.listenPort = listenPort
        self.dataDirectory = dataDirectory
        self.walDirectory = walDirectory ?? dataDirectory + "/pg_wal"
        self.token = token
        self.allowUnauthenticated = allowUnauthenticated
        self.requestTimeout = requestTimeout
        self.spoolDirectory = spoolDirectory
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

    /// Refuses what is unsafe to start with; returns warnings for what is allowed but risky.
    ///
    /// `/wal-fetch` hands out the database's contents and `/wal-push` makes the service read
    /// PGDATA, so beyond loopback the token is required unless the operator opted out.
    public func validate() throws -> [String] {
        guard (1...65535).contains(listenPort) else {
            throw SidecarFailure(status: 400, reason: .badRequest, message: "listen port \(listenPort) is not 1-65535")
        }
        guard requestTimeout > .zero else {
            throw SidecarFailure(status: 400, reason: .badRequest, message: "the request timeout must be positive")
        }
        if token == nil, !isLoopback {
            guard allowUnauthenticated else {
                throw SidecarFailure(
                    status: 401, reason: .unauthorized,
                    message: "listening on \(listenAddress) (beyond loopback) needs a token: set CLOUD_WAL_TOKEN or "
                        + "CLOUD_WAL_TOKEN_FILE, listen on 127.0.0.1, or set CLOUD_WAL_ALLOW_UNAUTHENTICATED=true")
            }
            return ["listening on \(listenAddress) WITHOUT a token (CLOUD_WAL_ALLOW_UNAUTHENTICATED=true): "
                + "anyone who can reach this port can read the database's WAL"]
        }
        return []
    }
}
