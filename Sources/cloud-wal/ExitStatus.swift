import CloudWAL

#if canImport(Glibc)
import Glibc
#endif

/// The one place errors become exit statuses (DESIGN.md, "Command line").
enum ExitStatus {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let connectionFailed: Int32 = 2
    static let inputError: Int32 = 3
    static let otherFailure: Int32 = 4
    /// Above 125, so PostgreSQL aborts recovery instead of reading "not found" (wait_error.c).
    static let abortRecovery: Int32 = 255

    enum Command {
        case archive
        case restore
        /// barman-cloud's catalog commands (backup-list/-show/-keep/-delete, check-wal-archive):
        /// 1 refused or not found, 2 connection failed, 3 bad input, 4 any other failure.
        case catalog
        case other
    }

    /// Errors of our own layers, reported in one line; anything else is ArgumentParser's.
    static func isMapped(_ error: any Error) -> Bool {
        error is WALError || error is StorageError || error is ConnectivityTest.BucketMissing || error is BackupError
    }

    static func code(for error: any Error, command: Command) -> Int32 {
        let code = baseCode(for: error, command: command)
        if command == .restore, code != success, code != failure, isArchiveRecovery() {
            return abortRecovery
        }
        return code
    }

    private static func baseCode(for error: any Error, command: Command) -> Int32 {
        if error is ConnectivityTest.BucketMissing { return failure }
        if command == .catalog { return catalogCode(for: error) }
        if let error = error as? BackupError {
            // barman-cloud's backup and catalog commands: 3 for bad input, 1 for any failure.
            return error.kind == .invalidInput ? inputError : failure
        }
        let kind: WALError.Kind
        switch error {
        case let error as WALError: kind = error.kind
        case let error as StorageError: kind = .storage(error.kind)
        default: return command == .restore ? otherFailure : failure
        }
        switch kind {
        case .invalidInput, .storage(.invalidRequest): return inputError
        case .storage(.unreachable): return connectionFailed
        case .notFound: return failure
        default: return command == .restore ? otherFailure : failure
        }
    }

    /// The catalog commands' contract, from barman-cloud's `OperationErrorExit` (1),
    /// `NetworkErrorExit` (2), `CLIErrorExit` (3) and `GeneralErrorExit` (4). A connection failure
    /// is 2 for every catalog command (barman-cloud 3.19 says 2 only in check-wal-archive, 4 elsewhere).
    private static func catalogCode(for error: any Error) -> Int32 {
        switch error {
        case let error as BackupError:
            switch error.kind {
            case .invalidInput: return inputError
            case .notFound, .refused: return failure
            default: return otherFailure
            }
        case let error as WALError:
            switch error.kind {
            case .invalidInput, .storage(.invalidRequest): return inputError
            case .storage(.unreachable): return connectionFailed
            case .conflict, .notFound: return failure
            default: return otherFailure
            }
        case let error as StorageError:
            switch error.kind {
            case .invalidRequest: return inputError
            case .unreachable: return connectionFailed
            default: return otherFailure
            }
        default:
            return otherFailure
        }
    }

    /// PostgreSQL runs restore_command in the data directory; `recovery.signal` without
    /// `standby.signal` there means targeted recovery, where "not found" ends it for good.
    static func isArchiveRecovery() -> Bool {
        access("recovery.signal", F_OK) == 0 && access("standby.signal", F_OK) != 0
    }
}
