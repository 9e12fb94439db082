/// The one mapping from errors to the exit statuses of barman-cloud's commands.
///
/// | category       | wal-archive | wal-restore      | catalog | backup/restore/serve | verify |
/// |----------------|-------------|------------------|---------|----------------------|--------|
/// | input          | 3           | 3                | 3       | 3                    | 3      |
/// | notFound       | 1           | 1                | 1       | 1                    | 1      |
/// | conflict       | 1           | 4                | 1       | 1                    | 1      |
/// | unreachable    | 2           | 2                | 2       | 2                    | 2      |
/// | denied         | 1           | 4                | 4       | 1                    | 2      |
/// | anything else  | 1           | 4                | 4       | 1                    | 1      |
///
/// `verify` reports the problems it finds as findings (exit 1 when any is a failure); the table
/// covers the errors that end its run.
///
/// In targeted recovery every `wal-restore` failure but "not found" becomes 255, above 125, so
/// PostgreSQL aborts recovery instead of treating the error as the end of the archive (wait_error.c).
public enum ExitStatusPolicy {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let connectionFailed: Int32 = 2
    public static let inputError: Int32 = 3
    public static let otherFailure: Int32 = 4
    public static let abortRecovery: Int32 = 255

    public enum Command: Sendable, Equatable {
        case archive
        case restore
        /// backup-list/-show/-keep/-delete and check-wal-archive: barman-cloud's `OperationErrorExit` (1),
        /// `NetworkErrorExit` (2), `CLIErrorExit` (3) and `GeneralErrorExit` (4).
        case catalog
        /// backup, restore of a base backup, serve, keyring: 3 for bad input, 1 for any failure.
        case other
        /// verify: 2 when the store cannot be used at all (unreachable or access denied).
        case verify
    }

    public static func code(for category: FailureCategory, command: Command, inTargetedRecovery: Bool) -> Int32 {
        let code = baseCode(for: category, command: command)
        if command == .restore, code != success, code != failure, inTargetedRecovery {
            return abortRecovery
        }
        return code
    }

    public static func code(for error: any Error, command: Command, inTargetedRecovery: Bool) -> Int32 {
        code(for: FailureCategory(of: error), command: command, inTargetedRecovery: inTargetedRecovery)
    }

    private static func baseCode(for category: FailureCategory, command: Command) -> Int32 {
        if category == .input { return inputError }
        if category == .notFound { return failure }
        switch command {
        case .archive:
            return category == .unreachable ? connectionFailed : failure
        case .restore:
            return category == .unreachable ? connectionFailed : otherFailure
        case .catalog:
            switch category {
            case .conflict: return failure
            case .unreachable: return connectionFailed
            default: return otherFailure
            }
        case .other:
            return category == .unreachable ? connectionFailed : failure
        case .verify:
            return category == .unreachable || category == .denied ? connectionFailed : failure
        }
    }
}
