import CloudWAL
import Foundation
import Testing

/// A fresh bucket on one backend and the store the command line would build for it, with list
/// pages of `pageSize` entries so every listing of more than two entries crosses pages.
struct ContractBucket: Sendable {
    static let pageSize = 2

    let sut: any StoreUnderTest
    let name: String
    let store: any ObjectStore

    static func make(_ backend: StoreBackend, _ hint: String) async throws -> ContractBucket {
        let sut = try backend.underTest()
        do {
            let name = try await sut.makeBucket(hint)
            let store = try sut.access(bucket: name, prefix: "").makeStore(listPageSize: pageSize)
            return ContractBucket(sut: sut, name: name, store: store)
        } catch {
            sut.cleanup()
            throw error
        }
    }

    func cleanup() { sut.cleanup() }

    /// The store for `access` (a dead port, refused credentials, an absent bucket).
    func store(_ access: StoreAccess) throws -> any ObjectStore { try access.makeStore(listPageSize: Self.pageSize) }

    func stored(_ key: String) async throws -> [UInt8]? {
        try await sut.storedData(bucket: name, key: key).map { [UInt8]($0) }
    }

    /// A file in a scratch directory of its own holding `bytes`; `body` gets its path.
    func withFile<T>(_ bytes: [UInt8], _ body: (String) async throws -> T) async throws -> T {
        let dir = try TempDirectory.make(prefix: "cloudwal-contract", ownedByServer: false)
        defer { dir.remove() }
        let path = dir.path + "/body"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try await body(path)
    }
}

/// Bytes that differ for every seed and compress badly (no backend may shortcut them).
func contractBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// Reads a download to the end, counting the chunks it came in.
func collect(_ download: ObjectDownload) async throws -> (bytes: [UInt8], chunks: Int) {
    var bytes: [UInt8] = []
    var chunks = 0
    for try await chunk in download.chunks {
        bytes += chunk
        chunks += 1
    }
    return (bytes, chunks)
}

/// The kind of the `StorageError` `body` throws, nil when it throws nothing or something else.
func storageErrorKind(_ body: () async throws -> Void) async -> StorageError.Kind? {
    do {
        try await body()
        return nil
    } catch let error as StorageError {
        return error.kind
    } catch {
        return nil
    }
}
