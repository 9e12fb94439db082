/// The seam between archive logic and the clouds: everything above it is backend-agnostic.
///
/// Keys are `/`-separated paths relative to the store's bucket (or root directory); the store
/// adds nothing to them, so a key means the same object in every backend and in barman-cloud.
public protocol ObjectStore: Sendable {
    /// Stores `body` under `key`. With `options.createOnly` an existing object is left untouched
    /// and `.alreadyExists` is returned; the call returns only once the object is durable.
    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome

    /// Stores the file at `path`, which must be exactly `size` bytes, reading it as it is sent, so
    /// an uncompressed segment is never held in memory. `options.bodySHA256`, when given, is the
    /// digest the bytes must have; a file that changed since it was hashed is refused.
    ///
    /// No default: a store that cannot stream must say so, with its bound, in its own file (a
    /// default that read the whole file would hide a 1 GiB segment in memory).
    func putFile(_ key: String, path: String, size: Int, options: PutOptions) async throws -> PutOutcome

    /// Opens `key` for streaming; throws `StorageError` with kind `.notFound` when it is absent.
    func get(_ key: String) async throws -> ObjectDownload

    /// The object's size and metadata, or `nil` when it is absent.
    func head(_ key: String) async throws -> ObjectInfo?

    /// Objects whose key starts with `prefix`. With a delimiter, keys containing it after the
    /// prefix are rolled up into `commonPrefixes`, as S3 does.
    func list(prefix: String, delimiter: String?) async throws -> ObjectListing

    /// Removes `key`; removing an absent object is not an error.
    func delete(_ key: String) async throws

    /// Starts a part-wise write of an object of unknown size (see `ObjectUpload`); every part but
    /// the last is `partSize` bytes. Stores without a part protocol get a spooled default.
    func beginUpload(_ key: String, partSize: Int, options: PutOptions) async throws -> any ObjectUpload

    /// Whether the bucket (container, root directory) exists; throws `.unreachable` when the
    /// storage cannot be asked at all. Backs `-t/--test`.
    func checkBucket() async throws -> BucketStatus
}

public enum BucketStatus: Sendable, Equatable {
    case available
    case missing
}

public enum PutOutcome: Sendable, Equatable {
    case created
    case alreadyExists
}

/// What a write carries besides its bytes.
public struct PutOptions: Sendable, Equatable {
    /// User metadata (`x-amz-meta-*` on S3); keys are lower-case ASCII.
    public var metadata: [String: String]
    /// Object tags, in order (S3 tagging, Azure index tags, GCS metadata).
    public var tags: [ObjectTag]
    /// Refuse to replace an existing object (`If-None-Match: *` and its equivalents).
    public var createOnly: Bool
    /// Hex SHA-256 of the body when the caller already has it (an uncompressed WAL segment's
    /// content digest), so the backend need not hash the bytes a second time.
    public var bodySHA256: String?

    public init(
        metadata: [String: String] = [:], tags: [ObjectTag] = [], createOnly: Bool = true, bodySHA256: String? = nil
    ) {
        self.metadata = metadata
        self.tags = tags
        self.createOnly = createOnly
        self.bodySHA256 = bodySHA256
    }
}

public struct ObjectTag: Sendable, Hashable {
    public let key: String
    public let value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

public struct ObjectInfo: Sendable, Equatable {
    public let key: String
    public let size: Int
    public let metadata: [String: String]
    public init(key: String, size: Int, metadata: [String: String] = [:]) {
        self.key = key
        self.size = size
        self.metadata = metadata
    }
}

public struct ObjectListing: Sendable, Equatable {
    public var objects: [ObjectInfo]
    public var commonPrefixes: [String]
    public init(objects: [ObjectInfo] = [], commonPrefixes: [String] = []) {
        self.objects = objects
        self.commonPrefixes = commonPrefixes
    }
}

/// An object being read: its description and its bytes as they arrive.
public struct ObjectDownload: Sendable {
    public let info: ObjectInfo
    public let chunks: AsyncThrowingStream<[UInt8], any Error>
    public init(info: ObjectInfo, chunks: AsyncThrowingStream<[UInt8], any Error>) {
        self.info = info
        self.chunks = chunks
    }
}
