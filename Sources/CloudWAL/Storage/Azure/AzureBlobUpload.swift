/// Azure's block protocol for writes of unknown size: each part is a block (Put Block, with its
/// MD5 checked by the service), and Put Block List creates the blob. Uncommitted blocks of an
/// abandoned upload are discarded by the service after a week; there is no call to drop them.
extension AzureBlobStore {
    public func beginUpload(_ key: String, partSize: Int, options: PutOptions) async throws -> any ObjectUpload {
        AzureBlobUpload(store: self, key: key, options: options)
    }
}

struct AzureBlobUpload: ObjectUpload {
    let store: AzureBlobStore
    let key: String
    let options: PutOptions

    func uploadPart(_ number: Int, bytes: [UInt8]) async throws {
        guard number >= 1, number <= 50_000 else {
            throw StorageError(.invalidRequest, "Azure blobs hold at most 50000 blocks (part \(number) of \(key))")
        }
        try await store.putBlock(key, id: AzureBlobStore.blockID(number - 1), body: bytes)
    }

    func complete(partCount: Int) async throws -> PutOutcome {
        try await store.commitBlocks(key, ids: (0..<partCount).map(AzureBlobStore.blockID), options: options)
    }

    func abort() async {}
}
