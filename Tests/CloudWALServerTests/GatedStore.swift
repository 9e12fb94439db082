import CloudWAL

/// A file:// store whose uploads can be held at the door and made to fail once: a store that
/// is slow (a push still in flight when PostgreSQL asks for its segment) or that fails one
/// upload, exactly when a test wants it, with no timing involved.
final class GatedStore: ObjectStore, Sendable {
    let base: FileSystemStore
    let gate = Gate()

    init(base: FileSystemStore) { self.base = base }

    actor Gate {
        /// Uploads of keys containing this wait at the door until `release()`.
        private var holding: String?
        private var held: [CheckedContinuation<Void, Never>] = []
        private var failNext: Set<String> = []
        private(set) var puts: [String] = []

        func hold(containing fragment: String) { holding = fragment }

        func release() {
            holding = nil
            for waiter in held { waiter.resume() }
            held = []
        }

        /// The next upload of a key containing `fragment` fails (once it is let through).
        func failNextPut(containing fragment: String) { failNext.insert(fragment) }

        /// Uploads waiting at the door.
        var waiting: Int { held.count }

        func enter(_ key: String) async throws {
            puts.append(key)
            if let holding, key.contains(holding) { await withCheckedContinuation { held.append($0) } }
            if let fragment = failNext.first(where: { key.contains($0) }) {
                failNext.remove(fragment)
                throw StorageError(.unreachable, "injected failure storing \(key)")
            }
        }
    }

    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome {
        try await gate.enter(key)
        return try await base.put(key, body: body, options: options)
    }

    func putFile(_ key: String, path: String, size: Int, options: PutOptions) async throws -> PutOutcome {
        try await gate.enter(key)
        return try await base.putFile(key, path: path, size: size, options: options)
    }

    func get(_ key: String) async throws -> ObjectDownload { try await base.get(key) }
    func head(_ key: String) async throws -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String, delimiter: String?) async throws -> ObjectListing {
        try await base.list(prefix: prefix, delimiter: delimiter)
    }
    func delete(_ key: String) async throws { try await base.delete(key) }
    func beginUpload(_ key: String, partSize: Int, options: PutOptions) async throws -> any ObjectUpload {
        try await base.beginUpload(key, partSize: partSize, options: options)
    }
    func checkBucket() async throws -> BucketStatus { try await base.checkBucket() }
}
