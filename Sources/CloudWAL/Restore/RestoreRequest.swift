/// What to restore, and where.
public struct RestoreRequest: Sendable {
    /// A backup id, a shortcut (`latest`, `oldest`, ...), a backup name, or `auto`.
    public var backupID: String
    public var recoveryDirectory: String
    /// Tablespace name → new location (`--tablespace NAME:LOCATION`); others go where backup.info says.
    public var tablespaceLocations: [String: String]
    /// How `auto` chooses.
    public var autoCriterion: BackupAutoSelection.Criterion
    /// Restricts `auto` to one timeline (`latest` = the newest timeline in the WAL archive).
    public var autoTimeline: TimelineTarget?
    /// Recovery settings to write; `nil` writes none (barman-cloud's behaviour).
    public var recoveryConfig: RecoveryConfig?

    public init(
        backupID: String, recoveryDirectory: String, tablespaceLocations: [String: String] = [:],
        autoCriterion: BackupAutoSelection.Criterion = .latest, autoTimeline: TimelineTarget? = nil,
        recoveryConfig: RecoveryConfig? = nil
    ) {
        self.backupID = backupID
        self.recoveryDirectory = recoveryDirectory
        self.tablespaceLocations = tablespaceLocations
        self.autoCriterion = autoCriterion
        self.autoTimeline = autoTimeline
        self.recoveryConfig = recoveryConfig
    }
}

public struct RestoreOutcome: Sendable, Equatable {
    public let backupID: String
    public let filesWritten: Int
    public let tarBytes: Int64
    public let storedBytes: Int64
    /// Whether a cloud-wal manifest proved every tar's content (barman-cloud backups have none).
    public let verifiedByManifest: Bool
    public let recoveryConfigured: Bool
}
