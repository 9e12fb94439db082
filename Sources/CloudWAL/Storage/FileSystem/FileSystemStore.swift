import Glibc

/// The embedded default backend: a directory tree laid out exactly like the bucket.
///
/// The root directory plays the bucket and must already exist. Creating it on demand would turn
/// an unmounted archive volume into silent archiving onto the local disk; below the root,
/// directories are created as needed.
///
/// Writes are atomic and durable: data goes to a temporary file in the target directory, is
/// fsynced, then hard-linked into place (`link` fails instead of replacing, which is the
/// create-only guarantee), and the directory is fsynced before `put` returns. Metadata lives in
/// a hidden sibling `.NAME.meta`; listings skip dot-files, so keys stay exactly barman-cloud's.
public struct FileSystemStore: SinglePassFileStore {
    public let root: String
    private let readChunkSize: Int

    public init(root: String, readChunkSize: Int = 1 << 20) {
        self.root = root
        self.readChunkSize = readChunkSize
    }

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome {
        try await store(key, options: options) { handle in try handle.write(body) }
    }

    /// Copies the file chunk by chunk; with `bodySHA256` set, the copy must hash to it, so a
    /// segment that changed after the archiver hashed it is never stored under that digest.
    public func putFile(_ key: String, path source: String, size: Int, options: PutOptions) async throws -> PutOutcome {
        try await store(key, options: options) { handle in
            let digest = try copy(source, size: size, into: handle)
            if let expected = options.bodySHA256, digest != expected {
                throw StorageError(.failed, "\(source) changed while being archived")
            }
        }
    }

    /// One pass over the file: each chunk is hashed as it is written, and the digest goes into
    /// the metadata file, which is durable before the object appears under its name.
    public func putFile(
        _ key: String, path source: String, size: Int, options: PutOptions,
        metadata: (_ sha256: String) -> [String: String]
    ) async throws -> (outcome: PutOutcome, sha256: String) {
        let (path, dataTemp) = try prepareTemporary(for: key)
        return try mapErrors(key) {
            defer { try? FileSystemOps.remove(dataTemp) }
            let data = try FileHandle.createExclusive(dataTemp, mode: 0o640)
            let digest = try copy(source, size: size, into: data)
            var options = options
            options.metadata.merge(metadata(digest)) { _, derived in derived }
            return (try publish(data, temporary: dataTemp, at: path, options: options), digest)
        }
    }

    /// Copies `source`, which must stay `size` bytes, into `handle`; returns the SHA-256 of the copy.
    private func copy(_ source: String, size: Int, into handle: FileHandle) throws -> String {
        let reader = try FileChunks(path: source, expectedSize: size)
        var digest = ContentDigest()
        while let chunk = try reader.next() {
            digest.update(chunk)
            try handle.write(chunk)
        }
        return digest.finalize()
    }

    /// Writes through `fill` into a temporary file, then creates the object atomically.
    private func store(_ key: String, options: PutOptions, fill: (FileHandle) throws -> Void) async throws -> PutOutcome {
        let (path, dataTemp) = try prepareTemporary(for: key)
        return try mapErrors(key) {
            defer { try? FileSystemOps.remove(dataTemp) }
            let data = try FileHandle.createExclusive(dataTemp, mode: 0o640)
            try fill(data)
            return try publish(data, temporary: dataTemp, at: path, options: options)
        }
    }

    /// The object's path and a fresh temporary name beside it, its directory created.
    func prepareTemporary(for key: String) throws -> (path: String, temporary: String) {
        let path = try self.path(for: key)
        try requireRoot()
        let directory = FileSystemOps.directory(of: path)
        try mapErrors(key) { try FileSystemOps.makeDirectories(directory, below: root) }
        // A writer killed mid-put left its temporary file here; listings skip it, but it holds space.
        TemporaryFileName.removeAbandoned(in: directory)
        return (path, FileSystemOps.temporarySibling(of: path))
    }

    /// Makes a filled temporary file the object: fsync, metadata, link (create-only) or rename,
    /// then fsync of the directory. The temporary name is gone when this returns.
    func publish(_ data: FileHandle, temporary dataTemp: String, at path: String, options: PutOptions) throws -> PutOutcome {
        let directory = FileSystemOps.directory(of: path)
        let metaPath = Self.metadataPath(for: path)
        let metaTemp = FileSystemOps.temporarySibling(of: metaPath)
        defer {
            try? FileSystemOps.remove(dataTemp)
            try? FileSystemOps.remove(metaTemp)
        }
        try data.sync()
        try data.close()
        if !options.metadata.isEmpty || !options.tags.isEmpty {
            try writeDurably(Array(Self.encodeMetadata(options).utf8), to: metaTemp)
        }
        if options.createOnly {
            do {
                try FileSystemOps.link(dataTemp, to: path)
            } catch let error as SystemError where error.isAlreadyExists {
                return .alreadyExists
            }
        } else {
            try FileSystemOps.rename(dataTemp, to: path)
        }
        if FileSystemOps.exists(metaTemp) {
            try FileSystemOps.rename(metaTemp, to: metaPath)
        }
        // The temporary name is removed before the directory sync so no stray entry survives.
        try FileSystemOps.remove(dataTemp)
        try FileSystemOps.syncDirectory(directory)
        return .created
    }

    public func get(_ key: String) async throws -> ObjectDownload {
        let path = try self.path(for: key)
        guard let info = try await head(key) else {
            throw StorageError(.notFound, "\(path): no such object")
        }
        let reader = ChunkReader(handle: try mapErrors(key) { try FileHandle.openForReading(path) }, chunkSize: readChunkSize)
        // `unfolding` reads lazily, one chunk per `next()`: memory stays at one chunk whatever the size.
        let chunks = AsyncThrowingStream<[UInt8], any Error> { try reader.next() }
        return ObjectDownload(info: info, chunks: chunks)
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let path = try self.path(for: key)
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw storageError(SystemError("stat", path: path, errno: errno))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return ObjectInfo(key: key, size: Int(info.st_size), metadata: try readMetadata(for: path))
    }

    public func list(prefix: String, delimiter: String?) async throws -> ObjectListing {
        try requireRoot()
        // Walk only the directory the prefix points into; a `/`-delimited listing never descends.
        let prefixDirectory = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? ""
        var listing = ObjectListing()
        try mapErrors(prefix) {
            try walk(relative: prefixDirectory, prefix: prefix, delimiter: delimiter, into: &listing)
        }
        return listing
    }

    public func delete(_ key: String) async throws {
        let path = try self.path(for: key)
        try mapErrors(key) {
            try FileSystemOps.remove(path)
            try FileSystemOps.remove(Self.metadataPath(for: path))
            try FileSystemOps.syncDirectory(FileSystemOps.directory(of: path))
        }
    }

    public func checkBucket() async throws -> BucketStatus {
        guard FileSystemOps.isDirectory(root) else { return .missing }
        guard access(root, W_OK | X_OK) == 0 else {
            throw StorageError(.accessDenied, "\(root): \(SystemError("access", path: root, errno: errno).reason)")
        }
        return .available
    }

    // MARK: - Internals

    private func requireRoot() throws {
        guard FileSystemOps.isDirectory(root) else {
            throw StorageError(.notFound, "Archive directory \(root) does not exist (create it first)")
        }
    }

    /// Maps a key to a path, refusing keys that could step outside the root.
    private func path(for key: String) throws -> String {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, !key.hasPrefix("/"),
            !parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty || $0.hasPrefix(".") })
        else {
            throw StorageError(.invalidRequest, "Invalid object key '\(key)'")
        }
        return root == "/" ? "/\(key)" : "\(root)/\(key)"
    }

    private func writeDurably(_ bytes: [UInt8], to path: String) throws {
        let handle = try FileHandle.createExclusive(path, mode: 0o640)
        try handle.write(bytes)
        try handle.sync()
        try handle.close()
    }

    private func walk(relative: String, prefix: String, delimiter: String?, into listing: inout ObjectListing) throws {
        let directory = relative.isEmpty ? root : "\(root)/\(relative)"
        let entries: [(name: String, isDirectory: Bool)]
        do {
            entries = try FileSystemOps.contents(of: directory)
        } catch let error as SystemError where error.isNotFound || error.errno == ENOTDIR {
            return
        }
        for entry in entries where !entry.name.hasPrefix(".") {
            let key = relative.isEmpty ? entry.name : "\(relative)/\(entry.name)"
            if entry.isDirectory {
                let asPrefix = key + "/"
                guard asPrefix.hasPrefix(prefix) || prefix.hasPrefix(asPrefix) else { continue }
                if let delimiter, asPrefix.count > prefix.count,
                    asPrefix.dropFirst(prefix.count).contains(delimiter)
                {
                    listing.commonPrefixes.append(asPrefix)
                } else {
                    try walk(relative: key, prefix: prefix, delimiter: delimiter, into: &listing)
                }
            } else if key.hasPrefix(prefix) {
                var info = stat()
                guard stat("\(root)/\(key)", &info) == 0 else { continue }
                listing.objects.append(ObjectInfo(key: key, size: Int(info.st_size)))
            }
        }
    }

    private func readMetadata(for path: String) throws -> [String: String] {
        let metaPath = Self.metadataPath(for: path)
        let handle: FileHandle
        do {
            handle = try FileHandle.openForReading(metaPath)
        } catch let error as SystemError where error.isNotFound {
            return [:]
        }
        var bytes = [UInt8](repeating: 0, count: 64 * 1024)
        let count = try bytes.withUnsafeMutableBytes { try handle.readFully(into: $0) }
        var metadata: [String: String] = [:]
        for line in String(decoding: bytes[..<count], as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            metadata[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return metadata
    }

    /// Reads a file chunk by chunk for a download stream.
    ///
    /// `@unchecked Sendable`: the stream calls `next()` from one consumer at a time, never concurrently,
    /// so the handle is never shared between threads at once.
    private final class ChunkReader: @unchecked Sendable {
        private let handle: FileHandle
        private let chunkSize: Int
        private var finished = false

        init(handle: FileHandle, chunkSize: Int) {
            self.handle = handle
            self.chunkSize = chunkSize
        }

        func next() throws -> [UInt8]? {
            guard !finished else { return nil }
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes { try handle.readFully(into: $0) }
            } catch {
                throw StorageError(.failed, "\(error)")
            }
            if count < chunkSize {
                finished = true
                try? handle.close()
            }
            if count == 0 { return nil }
            buffer.removeSubrange(count...)
            return buffer
        }
    }

    static func metadataPath(for path: String) -> String {
        "\(FileSystemOps.directory(of: path))/.\(FileSystemOps.baseName(of: path)).meta"
    }

    /// `key=value` lines; tags are recorded as `tag.KEY=VALUE` so a later copy to a cloud can restore them.
    static func encodeMetadata(_ options: PutOptions) -> String {
        var lines = options.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        lines += options.tags.map { "tag.\($0.key)=\($0.value)" }
        return lines.joined(separator: "\n") + "\n"
    }

    func mapErrors<T>(_ key: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SystemError {
            throw storageError(error)
        }
    }

    private func storageError(_ error: SystemError) -> StorageError {
        switch error.errno {
        case EACCES, EPERM: StorageError(.accessDenied, error.description)
        case ENOENT: StorageError(.notFound, error.description)
        // An absent or dead network mount is "unreachable": retrying later may succeed.
        case EIO, ESTALE, ETIMEDOUT, EHOSTUNREACH, ENOTCONN: StorageError(.unreachable, error.description)
        default: StorageError(.failed, error.description)
        }
    }
}
