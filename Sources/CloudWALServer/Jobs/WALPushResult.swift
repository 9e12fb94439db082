import CloudWAL

/// What one upload in `SidecarRoutes.pushes` produced, and whether the look-ahead watcher
/// started it: a `/wal-push` that joins the watcher's upload is counted as such.
public struct WALPushResult: Sendable, Equatable {
    public let outcome: WALArchiver.Outcome
    public let startedAhead: Bool

    public init(outcome: WALArchiver.Outcome, startedAhead: Bool) {
        self.outcome = outcome
        self.startedAhead = startedAhead
    }
}
