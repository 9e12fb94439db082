/// A failure of the archive or restore logic, classified for the exit code.
public struct WALError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
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

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    init(_ error: StorageError) {
        self.init(.storage(error.kind), error.message)
    }

    public var description: String { message }
}
