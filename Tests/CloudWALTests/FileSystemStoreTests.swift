import CloudWAL
import Testing

@Suite("file:// backend")
struct FileSystemStoreTests {
    @Test func putGetHeadRoundTrip() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileSystemStore(root: dir.path, readChunkSize: 1000)
        let body = TestData.segment(size: 12_345)
        let outcome = try await store.put(
            "a/b/obj", body: body, options: PutOptions(metadata: ["k": "v"], tags: [ObjectTag(key: "t", value: "1")]))
        #expect(outcome == .created)
        let info = try #require(try await store.head("a/b/obj"))
        #expect(info.size == body.count)
        #expect(info.metadata["k"] == "v")
        #expect(info.metadata["tag.t"] == "1")
        var received: [UInt8] = []
        var chunks = 0
        for try await chunk in try await store.get("a/b/obj").chunks {
            received += chunk
            chunks += 1
        }
        #expect(received == body)
        #expect(chunks == 13)
        #expect(try await store.head("a/b/missing") == nil)
        await #expect(throws: StorageError.self) { try await store.get("a/b/missing") }
    }

    @Test func createOnlyNeverReplaces() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileSystemStore(root: dir.path)
        #expect(try await store.put("k", body: [1, 2, 3], options: PutOptions(metadata: ["m": "first"])) == .created)
        #expect(try await store.put("k", body: [9], options: PutOptions(metadata: ["m": "second"])) == .alreadyExists)
        #expect(try dir.read("k") == [1, 2, 3])
        #expect(try await store.head("k")?.metadata["m"] == "first")
        // No temporary file is left behind by either write.
        let listing = try await store.list(prefix: "", delimiter: nil)
        #expect(listing.objects.map(\.key) == ["k"])
        #expect(try FileSystemOps.contents(of: dir.path).map(\.name) == [".k.meta", "k"])
    }

    @Test func listingWithAndWithoutDelimiter() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileSystemStore(root: dir.path)
        for key in ["s/wals/0001/a", "s/wals/0001/ab.gz", "s/wals/0002/c", "s/wals/x.history", "s/base/b1/info"] {
            _ = try await store.put(key, body: [0], options: PutOptions())
        }
        let flat = try await store.list(prefix: "s/wals/", delimiter: nil)
        #expect(flat.objects.map(\.key) == ["s/wals/0001/a", "s/wals/0001/ab.gz", "s/wals/0002/c", "s/wals/x.history"])
        let rolled = try await store.list(prefix: "s/wals/", delimiter: "/")
        #expect(rolled.objects.map(\.key) == ["s/wals/x.history"])
        #expect(rolled.commonPrefixes == ["s/wals/0001/", "s/wals/0002/"])
        let byName = try await store.list(prefix: "s/wals/0001/a", delimiter: "/")
        #expect(byName.objects.map(\.key) == ["s/wals/0001/a", "s/wals/0001/ab.gz"])
        #expect(try await store.list(prefix: "nothing/here", delimiter: "/").objects.isEmpty)
    }

    @Test func missingRootIsAMissingBucketAndIsNeverCreated() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileSystemStore(root: dir.path + "/absent")
        #expect(try await store.checkBucket() == .missing)
        await #expect(throws: StorageError.self) { try await store.put("k", body: [1], options: PutOptions()) }
        #expect(!FileSystemOps.exists(dir.path + "/absent"))
        #expect(try await FileSystemStore(root: dir.path).checkBucket() == .available)
    }

    @Test(arguments: ["../escape", "a/../../b", "/abs", "a//b", ".hidden", "a/.meta"])
    func refusesKeysOutsideTheTree(key: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileSystemStore(root: dir.path)
        await #expect(throws: StorageError.self) { try await store.put(key, body: [1], options: PutOptions()) }
    }

    @Test func deleteRemovesDataAndMetadata() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileSystemStore(root: dir.path)
        _ = try await store.put("d/k", body: [1], options: PutOptions(metadata: ["a": "b"]))
        try await store.delete("d/k")
        try await store.delete("d/k")
        #expect(try await store.head("d/k") == nil)
        #expect(try FileSystemOps.contents(of: dir.path + "/d").isEmpty)
    }
}
