import Foundation

/// `file://` under a temporary directory of its own: each bucket is a subdirectory (the store's
/// root), inspected on disk. Objects' metadata and tags live in `.NAME.meta`, which listings skip.
struct FileStoreUnderTest: StoreUnderTest {
    let backend = StoreBackend.file
    let directory: TempDirectory

    init() throws {
        directory = try TempDirectory.make(prefix: "cloudwal-filestore", ownedByServer: false)
    }

    private func root(_ bucket: String) -> String { directory.path + "/" + bucket }

    func createBucket(_ name: String) async throws {
        try FileManager.default.createDirectory(atPath: root(name), withIntermediateDirectories: false)
    }

    func access(bucket: String, prefix: String) -> StoreAccess {
        StoreAccess(url: "file://" + root(bucket) + (prefix.isEmpty ? "" : "/" + prefix), environment: [:])
    }

    func unreachableAccess(bucket: String, prefix: String) throws -> StoreAccess? { nil }
    func deniedAccess(bucket: String, prefix: String) -> StoreAccess? { nil }

    /// Every regular file below the root that is not a dot-file, as a key.
    func storedKeys(bucket: String) async throws -> [String] {
        try walk(bucket).filter { !$0.split(separator: "/").contains { $0.hasPrefix(".") } }.sorted()
    }

    func storedData(bucket: String, key: String) async throws -> Data? {
        FileManager.default.contents(atPath: root(bucket) + "/" + key)
    }

    func storedMetadata(bucket: String, key: String) async throws -> [String: String]? {
        guard FileManager.default.fileExists(atPath: root(bucket) + "/" + key) else { return nil }
        return try metaLines(bucket, key).filter { !$0.key.hasPrefix("tag.") }
    }

    func storedTags(bucket: String, key: String) async throws -> [String: String] {
        var tags: [String: String] = [:]
        for (name, value) in try metaLines(bucket, key) where name.hasPrefix("tag.") {
            tags[String(name.dropFirst("tag.".count))] = value
        }
        return tags
    }

    func storedVersion(bucket: String, key: String) async throws -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: root(bucket) + "/" + key) else {
            return nil
        }
        let inode = attributes[.systemFileNumber].map { "\($0)" } ?? "?"
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(inode)@\(modified)"
    }

    /// Dot-files other than metadata: temporaries of writes that never became objects.
    func pendingUploads(bucket: String) async throws -> [String] {
        try walk(bucket).filter { path in
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return name.hasPrefix(".") && !name.hasSuffix(".meta")
        }
    }

    func cleanup() { directory.remove() }

    private func walk(_ bucket: String) throws -> [String] {
        let base = root(bucket)
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(relative)
            }
        }
        return files
    }

    /// The `key=value` lines of the object's `.NAME.meta` file (empty when it has none).
    private func metaLines(_ bucket: String, _ key: String) throws -> [String: String] {
        let path = root(bucket) + "/" + key
        let meta = (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent + ".meta"
        guard let data = FileManager.default.contents(atPath: meta) else { return [:] }
        var lines: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            lines[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return lines
    }
}
