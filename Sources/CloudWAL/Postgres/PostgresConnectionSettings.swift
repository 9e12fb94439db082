/// How to reach PostgreSQL: the command's `-h/-p/-U/-d` over libpq's environment variables
/// (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`) over libpq's defaults.
public struct PostgresConnectionSettings: Sendable, Equatable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    /// A host name, an address, or a directory holding the server's Unix socket.
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    public init(host: String, port: Int, user: String, password: String?, database: String, sslMode: SSLMode) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    /// Resolves the settings as libpq would. barman-cloud's default database is `postgres`.
    public static func resolve(
        host: String?, port: String?, user: String?, database: String?, environment: Environment
    ) throws -> PostgresConnectionSettings {
        let portText = port ?? environment["PGPORT"] ?? "5432"
        guard let portNumber = Int(portText), (1...65535).contains(portNumber) else {
            throw BackupError(.invalidInput, "Invalid PostgreSQL port '\(portText)'")
        }
        let modeText = environment["PGSSLMODE"] ?? "prefer"
        guard let mode = SSLMode(rawValue: modeText) else {
            throw BackupError(.invalidInput, "Invalid PGSSLMODE '\(modeText)'")
        }
        let resolvedUser = user ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        return PostgresConnectionSettings(
            host: host ?? environment["PGHOST"] ?? "/var/run/postgresql",
            port: portNumber,
            user: resolvedUser,
            password: environment["PGPASSWORD"],
            database: database ?? environment["PGDATABASE"] ?? "postgres",
            sslMode: mode)
    }

    /// The socket file when `host` names a directory, as libpq reads a host starting with `/`.
    public var unixSocketPath: String? {
        host.hasPrefix("/") ? "\(host)/.s.PGSQL.\(port)" : nil
    }

    /// `host:port` or the socket path, for messages.
    public var displayName: String { unixSocketPath ?? "\(host):\(port)" }
}
