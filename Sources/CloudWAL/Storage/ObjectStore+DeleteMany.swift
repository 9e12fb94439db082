extension ObjectStore {
    /// Deletes every key, up to `concurrency` requests in flight, and returns only once all are
    /// gone; the first failure is thrown after the requests already started have finished, so the
    /// caller knows nothing is still being deleted behind its back.
    ///
    /// The seam has no multi-object delete (barman-cloud's batches of 1000/256/100 per request);
    /// parallel single deletes give a comparable throughput without a per-backend batch API.
    public func delete(keys: [String], concurrency: Int) async throws {
        let width = max(1, concurrency)
        var failure: (any Error)?
        await withTaskGroup(of: (any Error)?.self) { group in
            var pending = keys[...]
            var running = 0
            while running < width, let key = pending.popFirst() {
                group.addTask { await Self.attempt { try await self.delete(key) } }
                running += 1
            }
            for await error in group {
                if let error, failure == nil { failure = error }
                if failure == nil, let key = pending.popFirst() {
                    group.addTask { await Self.attempt { try await self.delete(key) } }
                }
            }
        }
        if let failure { throw failure }
    }

    /// Deletes every object whose key starts with `prefix` (which must end with `/`).
    public func delete(under prefix: String, concurrency: Int) async throws {
        guard prefix.hasSuffix("/"), prefix.count > 1 else {
            throw StorageError(.invalidRequest, "Deleting all objects under prefix \(prefix) is not allowed")
        }
        let keys = try await list(prefix: prefix, delimiter: nil).objects.map(\.key)
        try await delete(keys: keys, concurrency: concurrency)
    }

    private static func attempt(_ body: () async throws -> Void) async -> (any Error)? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }
}
