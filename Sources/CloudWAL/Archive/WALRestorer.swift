import Logging

/// Fetches one WAL file from the archive into the path PostgreSQL asked for: what
/// `restore_command` runs.
///
/// `%p` is only ever complete: bytes go to a temporary file beside it, are verified (codec
/// checks, recorded SHA-256, segment size), fsynced, and renamed into place. With a spool, the
/// segments after the requested one are fetched at the same time, so the next calls are served
/// from local disk.
public struct WALRestorer: Sendable {
    public enum Outcome: Sendable, Equatable {
        case restored(key: String, size: Int, fromPartial: Bool, verified: Bool)
        /// Served from the spool, fetched and verified by an earlier call.
        case fromSpool
    }

    public let store: any ObjectStore
    public let layout: ArchiveLayout
    public let spool: WALSpool?
    private let logger: Logger

    public init(store: any ObjectStore, layout: ArchiveLayout, spool: WALSpool? = nil, logger: Logger) {
        self.store = store
        self.layout = layout
        self.spool = spool
        self.logger = logger
    }

    struct Located: Sendable {
        let key: String
        let compression: Compression?
        let isPartial: Bool
    }

    /// Where `wal` is stored, preferring a complete segment over its `.partial`.
    func locate(_ wal: WALFileName, allowPartial: Bool) async throws -> Located? {
        var partial: Located?
        for object in try await listing(prefix: layout.searchPrefix(for: wal)).objects {
            guard let parsed = ArchiveLayout.parseObjectName(object.key) else { continue }
            if parsed.wal.name == wal.name {
                return Located(key: object.key, compression: parsed.compression, isPartial: false)
            }
            if allowPartial, wal.kind == .segment, parsed.wal.kind == .partial,
                parsed.wal.segmentName == wal.name, partial == nil
            {
                partial = Located(key: object.key, compression: parsed.compression, isPartial: true)
            }
        }
        return partial
    }

    /// Restores `walName` to `destination`.
    public func restore(walName: String, to destination: String, allowPartial: Bool = true) async throws -> Outcome {
        guard let wal = WALFileName(walName), !walName.contains("/") else {
            throw WALError(.invalidInput, "\(walName) is an invalid name for a WAL file")
        }
        if let spool {
            do {
                if try spool.take(walName, to: destination) {
                    logger.info("Restored \(walName) from the spool \(spool.directory)")
                    return .fromSpool
                }
            } catch let error as SystemError {
                throw WALError(.destinationFailed, "Cannot move \(walName) from the spool: \(error)")
            }
        }
        guard let found = try await locate(wal, allowPartial: allowPartial) else {
            throw WALError(.notFound, "WAL file \(walName) for server \(layout.serverName) does not exist")
        }
        let result = try await withThrowingTaskGroup(of: WALObjectReader.Result?.self) { group in
            if let spool, spool.parallel > 1, wal.kind == .segment {
                let ahead = try await segments(after: wal, limit: spool.parallel - 1)
                if !ahead.isEmpty {
                    try prepareSpool(spool)
                    for (name, located) in ahead {
                        group.addTask { await prefetch(located, as: name, into: spool) }
                    }
                }
            }
            let main = try await download(
                found, to: destination, expectSegment: wal.kind == .segment || wal.kind == .partial)
            // Extras finish before we return: PostgreSQL asks for the next segment right after.
            for try await _ in group {}
            return main
        }
        if found.isPartial {
            logger.info("Restored \(walName) from the partial segment \(found.key)")
        } else {
            logger.info("Restored \(walName) from \(found.key) (\(result.size) bytes)")
        }
        if !result.verified {
            logger.debug("\(found.key) carries no recorded SHA-256 (not archived by cloud-wal); codec checks only")
        }
        return .restored(key: found.key, size: result.size, fromPartial: found.isPartial, verified: result.verified)
    }

    // MARK: - Internals

    private func listing(prefix: String) async throws -> ObjectListing {
        do {
            return try await store.list(prefix: prefix, delimiter: "/")
        } catch let error as StorageError {
            throw WALError(error)
        }
    }

    /// Complete segments stored after `wal` in its hash folder, in order (as barman-cloud picks them).
    private func segments(after wal: WALFileName, limit: Int) async throws -> [(String, Located)] {
        guard let hash = wal.hashDirectory else { return [] }
        var found: [(String, Located)] = []
        for object in try await listing(prefix: "\(layout.walsPrefix)\(hash)/").objects.sorted(by: { $0.key < $1.key }) {
            guard let parsed = ArchiveLayout.parseObjectName(object.key), parsed.wal.kind == .segment,
                parsed.wal.name > wal.name, !found.contains(where: { $0.0 == parsed.wal.name })
            else { continue }
            found.append((parsed.wal.name, Located(key: object.key, compression: parsed.compression, isPartial: false)))
            if found.count == limit { break }
        }
        return found
    }

    private func prepareSpool(_ spool: WALSpool) throws {
        do {
            try spool.prepare()
        } catch let error as SystemError {
            throw WALError(.destinationFailed, "Cannot create the spool directory: \(error)")
        }
    }

    /// Fetches one extra segment into the spool. Failures only cost a later download, so they are
    /// logged, not thrown.
    private func prefetch(_ located: Located, as name: String, into spool: WALSpool) async -> WALObjectReader.Result? {
        let target = spool.path(for: name)
        guard !FileSystemOps.exists(target) else { return nil }
        do {
            return try await download(located, to: target, expectSegment: true)
        } catch {
            logger.warning("Prefetching \(name) failed: \(error)")
            return nil
        }
    }

    /// Streams `located` into `destination` through a verified, fsynced temporary file.
    private func download(_ located: Located, to destination: String, expectSegment: Bool) async throws
        -> WALObjectReader.Result
    {
        let temporary = FileSystemOps.temporarySibling(of: destination, tag: "cloud-wal")
        let handle: FileHandle
        do {
            handle = try FileHandle.createExclusive(temporary, mode: 0o600)
        } catch let error as SystemError {
            throw WALError(.destinationFailed, "Cannot write \(destination): \(error.reason)")
        }
        defer { try? FileSystemOps.remove(temporary) }
        do {
            let result = try await WALObjectReader(store: store).read(
                located.key, compression: located.compression, expectSegment: expectSegment,
                sink: { try handle.write($0) })
            try handle.sync()
            try handle.close()
            try FileSystemOps.rename(temporary, to: destination)
            try FileSystemOps.syncDirectory(FileSystemOps.directory(of: destination))
            return result
        } catch let error as SystemError {
            throw WALError(.destinationFailed, "Cannot write \(destination): \(error.reason)")
        }
    }
}
