import CloudWAL

#if canImport(Glibc)
import Glibc
#endif

/// Where the executable turns errors into exit statuses: the library's `ExitStatusPolicy`, told
/// whether PostgreSQL is in targeted recovery.
enum ExitStatus {
    typealias Command = ExitStatusPolicy.Command

    static func code(for error: any Error, command: Command) -> Int32 {
        ExitStatusPolicy.code(for: error, command: command, inTargetedRecovery: isArchiveRecovery())
    }

    /// PostgreSQL runs restore_command in the data directory; `recovery.signal` without
    /// `standby.signal` there means targeted recovery, where "not found" ends it for good.
    static func isArchiveRecovery() -> Bool {
        access("recovery.signal", F_OK) == 0 && access("standby.signal", F_OK) != 0
    }
}
