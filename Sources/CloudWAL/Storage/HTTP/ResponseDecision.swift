/// What a driver makes of one response: the only thing a backend tells the request executor.
///
/// Drivers keep their wire formats (which status or error code means what); backoff, deadlines
/// and the attempt cap live in `RetryStateMachine`, once for every cloud.
public enum ResponseDecision: Sendable, Equatable {
    /// The caller interprets the response (a success, or an answer such as 404 or 412 it expects).
    case accept
    /// Transient trouble (throttling, 5xx): try again after the backoff, or after `after` when the
    /// server said how long (`Retry-After`). `error` is what the caller gets if no attempt is left.
    case retry(StorageError, after: Duration? = nil)
    /// The bucket lives in another region (S3): sign for that region and try again at once.
    case redirect(region: String)
    /// Final: asking again changes nothing.
    case fail(StorageError)
}
