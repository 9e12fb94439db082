/// What kind of failure an error is, in the terms a caller acts on.
///
/// Exit statuses (`ExitStatusPolicy`) and the sidecar's HTTP statuses are derived from the category
/// alone, so one classification decides both. An error that states no category is `.internal`: a
/// failure, never "not found", because a `restore_command` that reports "not found" ends recovery.
public enum FailureCategory: String, Sendable, CaseIterable {
    /// The command's input is wrong: an option value, a WAL name, a URL (exit 3, HTTP 400).
    case input
    /// What was asked for does not exist: a WAL file, a backup, a bucket.
    case notFound
    /// Refused to protect data: an object of that name holds other content, a kept backup.
    case conflict
    /// The storage or the database could not be reached or did not answer in time; retrying later may work.
    case unreachable
    /// Credentials were refused or lack a permission.
    case denied
    /// Stored or restored bytes fail a check: never handed on.
    case corrupt
    /// A local file could not be read or written (the WAL to archive, the destination, the spool).
    case localFailure
    /// The remote service refused the request for another reason it stated.
    case remoteFailure
    /// Nobody classified it: a bug or a case we did not foresee.
    case `internal`
}

/// An error that says which `FailureCategory` it belongs to.
public protocol CategorizedError: Error, CustomStringConvertible {
    var category: FailureCategory { get }
}

extension FailureCategory {
    /// The category of any error: its own if it states one, `.internal` otherwise.
    public init(of error: any Error) {
        switch error {
        case let error as any CategorizedError: self = error.category
        case is CancellationError: self = .unreachable
        default: self = .internal
        }
    }
}
