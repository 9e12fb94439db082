import CloudWAL

/// What a failed request answers: an HTTP status, a metric label and a one-line reason.
///
/// Every error a route can meet becomes one of these in `init(_:)`, the one place where errors
/// become statuses. The statuses are chosen for the shell commands that call the service:
/// `wget`/`curl --fail` exit non-zero on all of them, and only 404 means "not in the archive".
/// Nothing that could be a network or credentials problem maps to 404, because a
/// `restore_command` that reports "not found" ends point-in-time recovery early.
public struct SidecarFailure: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: String, Sendable, CaseIterable {
        case invalidName = "invalid_name"
        case invalidDestination = "invalid_destination"
        /// `dest` names a symlink, directory, FIFO or other non-regular file, or a WAL file
        /// that exists: never replaced.
        case destinationExists = "destination_exists"
        /// This machine's side: the WAL directory cannot be opened or written.
        case localFailure = "local_failure"
        case badRequest = "bad_request"
        case unauthorized
        case notFound = "not_found"
        case conflict
        case backupRunning = "backup_running"
        case notConfigured = "not_configured"
        case unreachable
        case timeout
        case sourceUnreadable = "source_unreadable"
        case corrupt
        case internalError = "internal"
    }

    public let status: Int
    public let reason: Reason
    public let message: String

    public init(status: Int, reason: Reason, message: String) {
        self.status = status
        self.reason = reason
        // One line, always: the body ends up in PostgreSQL's log through wget's output.
        self.message = String(message.split(whereSeparator: \.isNewline).joined(separator: " ").prefix(1000))
    }

    public var description: String { message }

    public static func invalidName(_ component: String) -> SidecarFailure {
        SidecarFailure(status: 400, reason: .invalidName, message: "not a WAL file name: \(component.prefix(100))")
    }

    public static let unauthorized = SidecarFailure(
        status: 401, reason: .unauthorized, message: "missing or wrong bearer token")

    public static func timeout(after limit: Duration) -> SidecarFailure {
        SidecarFailure(status: 503, reason: .timeout, message: "no answer within the request deadline of \(limit)")
    }

    /// The one mapping from errors to answers: the status follows the error's `FailureCategory`
    /// (the same classification that chooses the CLI's exit status); an error nobody classified is
    /// a 500, never a 404.
    public init(_ error: any Error) {
        switch error {
        case let failure as SidecarFailure:
            self = failure
        case let rejected as DestinationPath.Rejected:
            self.init(status: 400, reason: .invalidDestination, message: "invalid dest: \(rejected.reason)")
        case is CancellationError:
            self.init(status: 503, reason: .unreachable, message: "the request was cancelled (shutting down?)")
        default:
            self.init(category: FailureCategory(of: error), message: "\(error)", isUnreadableSource: Self.isUnreadableSource(error))
        }
    }

    private init(category: FailureCategory, message: String, isUnreadableSource: Bool) {
        switch category {
        case .input: self.init(status: 400, reason: .badRequest, message: message)
        case .notFound: self.init(status: 404, reason: .notFound, message: message)
        case .conflict: self.init(status: 409, reason: .conflict, message: message)
        case .unreachable: self.init(status: 503, reason: .unreachable, message: message)
        case .corrupt: self.init(status: 500, reason: .corrupt, message: message)
        case .localFailure where isUnreadableSource: self.init(status: 500, reason: .sourceUnreadable, message: message)
        // A missing bucket, refused credentials, a local or remote failure: never 404 (see the type's comment).
        case .localFailure, .denied, .remoteFailure, .internal:
            self.init(status: 500, reason: .internalError, message: message)
        }
    }

    /// The segment to push could not be read: its own metric label, as operators look for it.
    private static func isUnreadableSource(_ error: any Error) -> Bool {
        (error as? WALError)?.kind == .sourceUnreadable
    }
}
