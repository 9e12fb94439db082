import CloudWAL

/// A push ahead that stored nothing: it failed, or the segment was no longer marked ready.
///
/// Only a `/wal-push` that joined that upload sees it, and archives the segment itself then:
/// a failure ahead never fails a request. Hence its own type, told apart from the failure of
/// an upload PostgreSQL asked for.
struct ArchiveAheadFailure: CategorizedError {
    let segment: String
    /// The archiving's error; nil when the segment was no longer ready.
    let underlying: (any Error)?

    var category: FailureCategory { underlying.map { FailureCategory(of: $0) } ?? .localFailure }

    var description: String {
        guard let underlying else { return "\(segment) was no longer marked ready; not archived ahead" }
        return "archiving \(segment) ahead failed: \(underlying)"
    }
}
