/// A failure of the archive or restore logic, classified for the exit code.
public typealias WALError = ClassifiedError<WALErrorKind>

public enum WALErrorKind: ErrorKind {
    /// Bad command input: not a WAL name, bad option value (exit 3).
    case invalidInput
    /// The WAL file to archive is missing or unreadable (exit 1).
    case sourceUnreadable
    /// The WAL file is not in the archive (restore exit 1).
    case notFound
    /// An object of the same name holds different content (exit 1; the archived copy stays).
    case conflict
    /// Stored bytes fail their checksum, codec check or size check: never handed to PostgreSQL.
    case corrupt
    /// The destination of a restore could not be written.
    case destinationFailed
    /// The storage failed; `StorageError.Kind` says how.
    case storage(StorageError.Kind)
}

extension WALError {
    /// A storage failure as the archive logic reports it: same kind of storage failure, same message.
    init(_ error: StorageError) {
        self.init(.storage(error.kind), error.message)
    }
}
