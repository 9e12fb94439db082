import Logging

/// Fetches one WAL file from the archive into the path PostgreSQL asked for: what
/// `restore_command` runs.
///
/// `%p` is only ever complete: bytes go to a temporary file beside it, are verified (codec
/// checks, recorded SHA-256, segment size), fsynced, and renamed into place.
public struct WALRestorer: Sendable {
    public enum Outcome: Sendable, Equatable {
        case restored(key: String, size: Int, fromPartial: Bool, verified: Bool)
    }

    public let store: any ObjectStore
    public let layout: ArchiveLayout
    private let logger: Logger

    public init(store: any ObjectStore, layout: ArchiveLayout, logger: Logger) {
        self.store = store
        self.layout = layout
        self.logger = logger
    }

    /// Where `walName` is stored, preferring a complete segment over its `.partial`.
    public func locate(_ wal: WALFileName, allowPartial: Bool) async throws -> (
        key: String, compression: Compression?, isPartial: Bool
    )? {
        let listing: ObjectListing
        do {
            listing = try await store.list(prefix: layout.searchPrefix(for: wal), delimiter: "/")
        } catch let error as StorageError {
            throw WALError(error)
        }
        var partial: (String, Compression?, Bool)?
        for object in listing.objects {
            guard let parsed = ArchiveLayout.parseObjectName(object.key) else { continue }
            if parsed.wal.name == wal.name {
                return (object.key, parsed.compression, false)
            }
            if allowPartial, wal.kind == .segment, parsed.wal.kind == .partial,
                parsed.wal.segmentName == wal.name, partial == nil
            {
                partial = (object.key, parsed.compression, true)
            }
        }
        return partial
    }

    /// Restores `walName` to `destination`.
    public func restore(walName: String, to destination: String, allowPartial: Bool = true) async throws -> Outcome {
        guard let wal = WALFileName(walName), !walName.contains("/") else {
            throw WALError(.invalidInput, "\(walName) is an invalid name for a WAL file")
        }
        guard let found = try await locate(wal, allowPartial: allowPartial) else {
            throw WALError(.notFound, "WAL file \(walName) for server \(layout.serverName) does not exist")
        }
        let directory = FileSystemOps.directory(of: destination)
        let temporary = FileSystemOps.temporarySibling(of: destination, tag: "cloud-wal")
        let handle: FileHandle
        do {
            handle = try FileHandle.createExclusive(temporary, mode: 0o600)
        } catch let error as SystemError {
            throw WALError(.destinationFailed, "Cannot write \(destination): \(error.reason)")
        }
        defer { try? FileSystemOps.remove(temporary) }
        let result: WALObjectReader.Result
        do {
            result = try await WALObjectReader(store: store).read(
                found.key, compression: found.compression,
                expectSegment: wal.kind == .segment || wal.kind == .partial,
                sink: { try handle.write($0) })
            try handle.sync()
            try handle.close()
            try FileSystemOps.rename(temporary, to: destination)
            try FileSystemOps.syncDirectory(directory)
        } catch let error as SystemError {
            throw WALError(.destinationFailed, "Cannot write \(destination): \(error.reason)")
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
}
