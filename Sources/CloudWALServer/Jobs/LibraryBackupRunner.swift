import CloudWAL
import Logging

/// `/backup-push` and `POST /backups` over the library's `BaseBackup`: one PostgreSQL session per
/// backup, the same code path as `cloud-wal backup`.
public struct LibraryBackupRunner: BaseBackupRunner {
    let store: any ObjectStore
    let layout: ArchiveLayout
    let configuration: BaseBackup.Configuration
    let postgres: PostgresConnectionSettings
    let logger: Logger

    public init(
        store: any ObjectStore, layout: ArchiveLayout, configuration: BaseBackup.Configuration,
        postgres: PostgresConnectionSettings, logger: Logger
    ) {
        self.store = store
        self.layout = layout
        self.configuration = configuration
        self.postgres = postgres
        self.logger = logger
    }

    public func runBackup(name: String?) async throws -> BackupRunResult {
        var configuration = self.configuration
        configuration.name = name ?? configuration.name
        let backup = BaseBackup(store: store, layout: layout, configuration: configuration, logger: logger)
        let info = try await backup.run(connectingTo: postgres, progress: false)
        return BackupRunResult(
            backupID: info.backupID, status: info.status?.rawValue ?? "DONE", beginWAL: info.beginWAL,
            endWAL: info.endWAL, error: info.error)
    }
}
