import CloudWAL

/// How a `/wal-push` got its segment archived.
enum WALPushAnswer: Sendable {
    /// Pushed ahead earlier under `key`; the record matched the local file, so no store request.
    case storedAhead(key: String)
    /// One upload in `SidecarRoutes.pushes`: this request's own, or one it joined.
    case uploaded(WALPushResult, joined: Bool)
}

extension SidecarRoutes {
    /// Archives `$PGWAL/<wal>` for `/wal-push`: from a matching look-ahead record when there is
    /// one; else one upload per segment, joining one in progress (the watcher's too). A joined
    /// push ahead that stored nothing is followed by this request's own upload, so a failure
    /// ahead never fails a request.
    func archive(_ wal: WALFileName) async throws -> WALPushAnswer {
        let operations = self.operations
        let upload: @Sendable () async throws -> WALPushResult = {
            WALPushResult(outcome: try await operations.push(wal), startedAhead: false)
        }
        guard let ahead else {
            let (result, joined) = try await pushes.run(wal.name, upload)
            return .uploaded(result, joined: joined)
        }
        // Settled before its record is consumed, so the watcher cannot push it again in between.
        await ahead.settle(wal.name)
        // PostgreSQL is archiving: the segments after this one are probably ready.
        ahead.nudge()
        if let key = await ahead.answerFromRecord(wal) { return .storedAhead(key: key) }
        do {
            let (result, joined) = try await pushes.run(wal.name, upload)
            if joined, result.startedAhead { await ahead.joined(wal.name) }
            return .uploaded(result, joined: joined)
        } catch is ArchiveAheadFailure {
            let (result, joined) = try await pushes.run(wal.name, upload)
            return .uploaded(result, joined: joined)
        }
    }
}
