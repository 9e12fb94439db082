#if canImport(Glibc)
import Glibc
#endif

/// A write whose size is not known when it starts (a base backup's tar stream), sent in parts
/// as they are produced so memory stays at a few parts whatever the object's size.
///
/// Every part but the last is exactly `partSize` bytes, so a part's place in the object is known
/// from its number alone and parts may be sent concurrently and out of order. Nothing is visible
/// under the key until `complete` returns; after a failure the caller calls `abort`.
public protocol ObjectUpload: Sendable {
    /// Sends part `number` (1-based).
    func uploadPart(_ number: Int, bytes: [UInt8]) async throws
    /// Makes the object visible from parts `1...partCount`; durable when it returns.
    func complete(partCount: Int) async throws -> PutOutcome
    /// Discards what was sent; never throws, as it runs on failure paths.
    func abort() async
}

extension ObjectStore {
    /// Stores without a native part protocol spool the parts to a local temporary file and
    /// send it with `putFile` at the end, which streams it from disk.
    public func beginUpload(_ key: String, partSize: Int, options: PutOptions) async throws -> any ObjectUpload {
        try SpooledUpload(store: self, key: key, partSize: partSize, options: options)
    }
}

/// A part-wise upload collected in a temporary file, then sent whole.
actor SpooledUpload: ObjectUpload {
    private let store: any ObjectStore
    private let key: String
    private let partSize: Int
    private let options: PutOptions
    private let path: String
    private var handle: FileHandle?
    private var size = 0

    init(store: any ObjectStore, key: String, partSize: Int, options: PutOptions) throws {
        self.store = store
        self.key = key
        self.partSize = partSize
        self.options = options
        let directory = Environment.current()["TMPDIR"] ?? "/tmp"
        path = FileSystemOps.temporarySibling(of: "\(directory)/cloud-wal-upload")
        handle = try FileHandle.createExclusive(path, mode: 0o600)
    }

    func uploadPart(_ number: Int, bytes: [UInt8]) async throws {
        guard let handle else { throw StorageError(.failed, "upload of \(key) already finished") }
        let offset = (number - 1) * partSize
        try handle.write(bytes, at: offset)
        size = max(size, offset + bytes.count)
    }

    func complete(partCount: Int) async throws -> PutOutcome {
        guard let handle else { throw StorageError(.failed, "upload of \(key) already finished") }
        defer { try? FileSystemOps.remove(path) }
        try handle.close()
        self.handle = nil
        return try await store.putFile(key, path: path, size: size, options: options)
    }

    func abort() async {
        try? handle?.close()
        handle = nil
        try? FileSystemOps.remove(path)
    }
}
