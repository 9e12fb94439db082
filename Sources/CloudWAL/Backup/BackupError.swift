/// Failures of base backups, restores and the catalog; the executable maps kinds to exit codes.
public typealias BackupError = ClassifiedError<BackupErrorKind>

public enum BackupErrorKind: ErrorKind {
    /// Bad arguments or a request that cannot be met as asked (exit 3 for input errors).
    case invalidInput
    /// The named backup does not exist.
    case notFound
    /// A stored object is not what it claims to be.
    case corrupt
    /// PostgreSQL refused or could not be reached.
    case database
    /// A local file operation failed (source or destination directory).
    case localIO
    /// The operation was refused to protect data (non-empty destination, kept backup, ...).
    case refused
}
