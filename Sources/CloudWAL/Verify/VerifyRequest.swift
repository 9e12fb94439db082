/// What `verify` is asked to check.
public struct VerifyRequest: Sendable, Equatable {
    /// Which backups: one (an id, `latest`/`last`, `oldest`/`first`, `last-failed`, a name) or all.
    public enum Selection: Sendable, Equatable {
        case backup(String)
        case all

        /// Without BACKUP_ID or `--all`: the backup a restore with `latest` or `auto` would use,
        /// and the WAL from it to the newest segment, which is what has to work on the bad day.
        public static let byDefault = Selection.backup("latest")
    }

    public static let defaultJobs = 4
    public static let maxJobs = 64

    public let selection: Selection
    /// Objects read at once.
    public let jobs: Int

    /// Refuses a job count outside 1...64 (input error, exit 3).
    public init(selection: Selection = .byDefault, jobs: Int = defaultJobs) throws {
        guard (1...Self.maxJobs).contains(jobs) else {
            throw BackupError(.invalidInput, "--jobs must be between 1 and \(Self.maxJobs), not \(jobs)")
        }
        self.selection = selection
        self.jobs = jobs
    }

    /// The command line's `[BACKUP_ID | --all]`; both at once is an input error.
    public init(backupID: String?, all: Bool, jobs: Int = defaultJobs) throws {
        if all, let backupID {
            throw BackupError(.invalidInput, "give either BACKUP_ID ('\(backupID)') or --all, not both")
        }
        try self.init(selection: all ? .all : backupID.map(Selection.backup) ?? .byDefault, jobs: jobs)
    }
}
