/// The seam between the sidecar and base backups: the server schedules and reports, the runner
/// takes the backup. The executable plugs in the library's backup; tests plug in a stub.
public protocol BaseBackupRunner: Sendable {
    /// Takes one base backup of PGDATA and returns when it is complete (or throws).
    func runBackup(name: String?) async throws -> BackupRunResult
}

/// What a finished backup reports.
public struct BackupRunResult: Sendable, Equatable {
    public var backupID: String
    /// The runner's word for the outcome, e.g. `DONE` or `FAILED` (barman's backup.info status).
    public var status: String
    public var beginWAL: String?
    public var endWAL: String?
    public var error: String?

    public init(backupID: String, status: String, beginWAL: String? = nil, endWAL: String? = nil, error: String? = nil) {
        self.backupID = backupID
        self.status = status
        self.beginWAL = beginWAL
        self.endWAL = endWAL
        self.error = error
    }
}
