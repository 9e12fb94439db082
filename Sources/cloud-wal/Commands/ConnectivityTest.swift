import CloudWAL
import Logging

/// `-t/--test`: 0 when the bucket is there, 1 when it is missing, 2 when the storage cannot be reached.
enum ConnectivityTest {
    struct BucketMissing: CategorizedError {
        let url: StorageURL
        var description: String { "Bucket \(url) does not exist" }
        /// barman-cloud's `-t` says 1 for a missing bucket, in every command.
        var category: FailureCategory { .notFound }
    }

    static func run(store: any ObjectStore, url: StorageURL, logger: Logger) async throws {
        switch try await store.checkBucket() {
        case .available:
            logger.info("Connectivity test succeeded: \(url) is reachable")
        case .missing:
            throw BucketMissing(url: url)
        }
    }
}
