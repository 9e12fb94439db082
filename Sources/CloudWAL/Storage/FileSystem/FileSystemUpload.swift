/// A part-wise write into the archive directory: parts land at their offsets in a temporary
/// file beside the object, which becomes the object (create-only, fsynced) on completion.
extension FileSystemStore {
    public func beginUpload(_ key: String, partSize: Int, options: PutOptions) async throws -> any ObjectUpload {
        let (path, temporary) = try prepareTemporary(for: key)
        let handle = try mapErrors(key) { try FileHandle.createExclusive(temporary, mode: 0o640) }
        return FileSystemUpload(store: self, key: key, path: path, temporary: temporary, handle: handle,
                                partSize: partSize, options: options)
    }
}

actor FileSystemUpload: ObjectUpload {
    private let store: FileSystemStore
    private let key: String
    private let path: String
    private let temporary: String
    private var handle: FileHandle?
    private let partSize: Int
    private let options: PutOptions

    init(store: FileSystemStore, key: String, path: String, temporary: String, handle: FileHandle, partSize: Int,
         options: PutOptions) {
        self.store = store
        self.key = key
        self.path = path
        self.temporary = temporary
        self.handle = handle
        self.partSize = partSize
        self.options = options
    }

    func uploadPart(_ number: Int, bytes: [UInt8]) async throws {
        guard let handle else { throw StorageError(.failed, "upload of \(key) already finished") }
        try store.mapErrors(key) { try handle.write(bytes, at: (number - 1) * partSize) }
    }

    func complete(partCount: Int) async throws -> PutOutcome {
        guard let handle else { throw StorageError(.failed, "upload of \(key) already finished") }
        self.handle = nil
        return try store.mapErrors(key) { try store.publish(handle, temporary: temporary, at: path, options: options) }
    }

    func abort() async {
        try? handle?.close()
        handle = nil
        try? FileSystemOps.remove(temporary)
    }
}
