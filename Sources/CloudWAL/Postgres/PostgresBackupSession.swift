import Logging
import NIOSSL
import PostgresNIO

/// The one PostgreSQL session a base backup needs: the non-exclusive backup API requires
/// `pg_backup_start` and `pg_backup_stop` on the same connection, and closing it aborts the
/// backup on the server, which is exactly what should happen if we fail in between.
public final class PostgresBackupSession: Sendable {
    private let connection: PostgresConnection
    private let logger: Logger
    public let serverVersion: Int

    private init(connection: PostgresConnection, logger: Logger, serverVersion: Int) {
        self.connection = connection
        self.logger = logger
        self.serverVersion = serverVersion
    }

    public static func connect(_ settings: PostgresConnectionSettings, logger: Logger) async throws -> PostgresBackupSession {
        var configuration: PostgresConnection.Configuration
        if let socket = settings.unixSocketPath {
            configuration = .init(
                unixSocketPath: socket, username: settings.user, password: settings.password,
                database: settings.database)
        } else {
            configuration = .init(
                host: settings.host, port: settings.port, username: settings.user, password: settings.password,
                database: settings.database, tls: try tls(for: settings.sslMode))
        }
        configuration.options.connectTimeout = .seconds(30)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw BackupError(.database, "Cannot connect to PostgreSQL at \(settings.displayName): \(describe(error))")
        }
        let session = PostgresBackupSession(connection: connection, logger: logger, serverVersion: 0)
        let versionText = try await session.value("SELECT current_setting('server_version_num')")
        guard let version = versionText.flatMap(Int.init) else {
            throw BackupError(.database, "PostgreSQL did not report its version")
        }
        guard version >= 100000 else {
            throw BackupError(.database, "PostgreSQL \(version / 10000) is not supported (10 or later is)")
        }
        return PostgresBackupSession(connection: connection, logger: logger, serverVersion: version)
    }

    /// libpq's modes mapped onto NIO's: `prefer` and `require` encrypt without checking the
    /// certificate, as libpq does; the `verify-*` modes check it against the system's roots.
    private static func tls(for mode: PostgresConnectionSettings.SSLMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable, .allow: return .disable
        case .prefer, .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            let context = try NIOSSLContext(configuration: tls)
            return mode == .prefer ? .prefer(context) : .require(context)
        case .verifyCA, .verifyFull:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = mode == .verifyFull ? .fullVerification : .noHostnameVerification
            return .require(try NIOSSLContext(configuration: tls))
        }
    }

    public func close() async {
        try? await connection.close()
    }

    // MARK: - Queries

    /// Every row of `sql`, each column as text (queries cast what they select to `text`).
    public func rows(_ sql: String) async throws -> [[String?]] {
        do {
            let sequence = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            var result: [[String?]] = []
            for try await row in sequence {
                let cells = row.makeRandomAccess()
                result.append(try (0..<cells.count).map { try cells[$0].decode(String?.self) })
            }
            return result
        } catch let error as PSQLError {
            throw BackupError(.database, "PostgreSQL refused \(sql.prefix(60)): \(Self.describe(error))")
        }
    }

    public func value(_ sql: String) async throws -> String? {
        try await rows(sql).first?.first ?? nil
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }

    static func quoteLiteral(_ text: String) -> String {
        "'" + text.replacingAll("'", with: "''") + "'"
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self {
            if character == target { out += replacement } else { out.append(character) }
        }
        return out
    }
}
