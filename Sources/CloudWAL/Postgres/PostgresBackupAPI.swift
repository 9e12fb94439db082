/// What a base backup asks PostgreSQL, in barman's terms so `backup.info` carries the same facts.
extension PostgresBackupSession {
    public struct ServerFacts: Sendable {
        public var dataDirectory: String
        public var configFile: String?
        public var hbaFile: String?
        public var identFile: String?
        public var tablespaces: [BackupInfo.Tablespace]
        public var dataChecksums: String?
        public var walSegmentSize: Int
        public var systemIdentifier: String
        public var clusterSize: Int?
        public var inRecovery: Bool
        /// `archive_mode`: without archiving, the WAL a backup needs is never stored anywhere.
        public var archiveMode: String?
    }

    public struct BackupPoint: Sendable {
        public var lsn: String
        public var timeline: Int
        public var time: Timestamp
        /// `pg_backup_stop`'s label file and tablespace map; empty at the start.
        public var labelFile: String = ""
        public var tablespaceMap: String = ""
    }

    public func serverFacts() async throws -> ServerFacts {
        var settings: [String: String] = [:]
        for row in try await rows(
            "SELECT name, setting FROM pg_settings WHERE name IN "
                + "('data_directory', 'config_file', 'hba_file', 'ident_file', 'data_checksums', 'wal_segment_size', "
                + "'archive_mode')")
        where row.count == 2 {
            if let name = row[0], let value = row[1] { settings[name] = value }
        }
        guard let dataDirectory = settings["data_directory"] else {
            throw BackupError(
                .database, "PostgreSQL did not report data_directory (the backup user needs superuser or pg_read_all_settings)")
        }
        var tablespaces: [BackupInfo.Tablespace] = []
        for row in try await rows(
            "SELECT spcname::text, oid::text, pg_tablespace_location(oid) FROM pg_tablespace "
                + "WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid")
        {
            guard row.count == 3, let name = row[0], let oid = row[1].flatMap({ Int($0) }), let location = row[2] else {
                continue
            }
            tablespaces.append(.init(name: name, oid: oid, location: location))
        }
        return ServerFacts(
            dataDirectory: dataDirectory,
            configFile: settings["config_file"], hbaFile: settings["hba_file"], identFile: settings["ident_file"],
            tablespaces: tablespaces,
            dataChecksums: settings["data_checksums"],
            walSegmentSize: Int(settings["wal_segment_size"] ?? "") ?? 16 << 20,
            systemIdentifier: try await value("SELECT system_identifier::text FROM pg_control_system()") ?? "",
            clusterSize: try await value("SELECT sum(pg_tablespace_size(oid))::text FROM pg_tablespace").flatMap { Int($0) },
            inRecovery: try await value("SELECT pg_is_in_recovery()::text") == "true",
            archiveMode: settings["archive_mode"])
    }

    /// `pg_backup_start` (`pg_start_backup` before 15), non-exclusive.
    public func startBackup(label: String, fastCheckpoint: Bool) async throws -> BackupPoint {
        // The backup can outlast idle_session_timeout; the session must live until the stop.
        if serverVersion >= 140000 { _ = try await rows("SET idle_session_timeout TO 0") }
        let fast = fastCheckpoint ? "true" : "false"
        let call =
            serverVersion >= 150000
            ? "pg_backup_start(\(Self.quoteLiteral(label)), \(fast))"
            : "pg_start_backup(\(Self.quoteLiteral(label)), \(fast), false)"
        let row = try await rows(
            "SELECT location::text, (SELECT timeline_id FROM pg_control_checkpoint())::text, now()::text "
                + "FROM \(call) AS location"
        ).first
        return try point(from: row, what: "start")
    }

    /// `pg_backup_stop` (`pg_stop_backup` before 15), waiting until the WAL the backup needs is
    /// archived: a backup is not usable, so not reported done, before that.
    public func stopBackup() async throws -> BackupPoint {
        let call = serverVersion >= 150000 ? "pg_backup_stop(true)" : "pg_stop_backup(false, true)"
        let row = try await rows(
            "SELECT s.lsn::text, (SELECT CASE WHEN pg_is_in_recovery() THEN min_recovery_end_timeline "
                + "ELSE timeline_id END FROM pg_control_checkpoint(), pg_control_recovery())::text, now()::text, "
                + "s.labelfile, s.spcmapfile FROM \(call) AS s"
        ).first
        var point = try point(from: row, what: "stop")
        point.labelFile = row?[3] ?? ""
        point.tablespaceMap = row?[4] ?? ""
        return point
    }

    /// Closes the current segment so the one holding the backup's end is archived promptly.
    public func switchWAL() async throws {
        _ = try await rows("SELECT pg_switch_wal()::text")
    }

    /// A named restore point, `barman_<backup id>` as barman-cloud makes, for `--recovery-target-name`.
    public func createRestorePoint(_ name: String) async throws {
        _ = try await rows("SELECT pg_create_restore_point(\(Self.quoteLiteral(name)))::text")
    }

    private func point(from row: [String?]?, what: String) throws -> BackupPoint {
        guard let row, row.count >= 3, let lsn = row[0], let timeline = row[1].flatMap({ Int($0) }),
            let timeText = row[2]
        else {
            throw BackupError(.database, "PostgreSQL returned no backup \(what) location")
        }
        return BackupPoint(lsn: lsn, timeline: timeline, time: try Timestamp(parsing: timeText))
    }
}
