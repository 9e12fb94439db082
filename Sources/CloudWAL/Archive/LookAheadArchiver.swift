import Logging

/// `wal-archive --parallel N`: archives the requested segment and, concurrently, up to N-1 later
/// segments PostgreSQL has already marked `.ready`, so one-at-a-time `archive_command` calls
/// keep up with a busy primary (WAL-G's wal-push and CloudNativePG's `maxParallel` do the same).
///
/// What was stored ahead is remembered in an `ArchiveStateDirectory`, written only once the
/// object is durable. When PostgreSQL then asks for such a segment, a record whose SHA-256 and
/// size match the local file answers 0 with no store request; anything else (no record, another
/// content, an unusable state folder) falls back to the ordinary `WALArchiver` path, whose
/// duplicate check keeps every guarantee. A failure of an extra segment never fails the call:
/// it only leaves no record, and PostgreSQL asks for that segment itself.
///
/// Each segment is archived in its own child task, so hashing and compression of up to N
/// segments run on as many cores; memory is bounded by the N segments in flight.
public struct LookAheadArchiver: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Archived by this call (new, or already stored with the same content).
        case archived(WALArchiver.Outcome)
        /// An earlier call stored it ahead under `key`; its record matched the local file.
        case storedAhead(key: String)
    }

    public let archiver: WALArchiver
    /// The requested segment plus at most `parallel - 1` extra ones per call.
    public let parallel: Int
    public let state: ArchiveStateDirectory
    private let logger: Logger

    public init(archiver: WALArchiver, parallel: Int, state: ArchiveStateDirectory, logger: Logger) {
        self.archiver = archiver
        self.parallel = parallel
        self.state = state
        self.logger = logger
    }

    /// Archives `walPath` (as `%p` gives it), and later ready segments beside it.
    public func archive(walPath: String) async throws -> Outcome {
        // Only a full segment starts a look-ahead: the others are PostgreSQL's to ask for.
        guard parallel > 1, let wal = WALFileName(FileSystemOps.baseName(of: walPath)), wal.kind == .segment,
            wal.name == wal.name.uppercased(), prepareState()
        else {
            return .archived(try await archiver.archive(walPath: walPath))
        }
        state.removeStale(before: wal.name)
        if case .matches(let key) = checkRecord(for: wal.name, walPath: walPath) {
            logger.info("\(wal.name) was archived ahead as \(key) with the same content; nothing to do")
            return .storedAhead(key: key)
        }

        let walDirectory = FileSystemOps.directory(of: walPath)
        let segmentSize = try? FileHandle.openForReading(walPath).size()
        let extras = segmentSize == nil
            ? []
            : ReadySegments.after(
                wal, inWALDirectory: walDirectory, limit: parallel - 1, excluding: state.recordedSegments())
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for extra in extras {
                group.addTask {
                    do {
                        _ = try await pushAhead(extra, walDirectory: walDirectory, segmentSize: segmentSize)
                    } catch {
                        logger.warning("Archiving \(extra.name) ahead failed (PostgreSQL will ask for it): \(error)")
                    }
                }
            }
            let outcome: WALArchiver.Outcome
            do {
                outcome = try await archiver.archive(walPath: walPath)
            } catch {
                // The failure is reported as it is today; extras still running may finish (a
                // record written after a durable store is correct) or be cancelled (no record).
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
            // PostgreSQL is told only once the extras are settled: the process ends on return.
            try await group.waitForAll()
            return .archived(outcome)
        }
    }

    // MARK: - Internals

    /// A state folder we cannot use only turns look-ahead off for this call.
    private func prepareState() -> Bool {
        do {
            try state.prepare()
            return true
        } catch {
            logger.warning("Not archiving ahead: cannot use the state directory \(state.directory): \(error)")
            return false
        }
    }

    /// What a record says about the local copy of a segment.
    public enum RecordCheck: Sendable, Equatable {
        /// No (well-formed) record.
        case none
        /// Stored ahead under `key`, with the SHA-256 and size of the local file.
        case matches(key: String)
        /// A record for other content, or a local file that cannot be read: ignored.
        case otherContent
    }

    /// Checks `segment`'s record against the local file at `walPath` and consumes it: the record
    /// is removed either way (a crash right after only means archiving it again, where the
    /// duplicate check proves the content). Only `.matches` lets a caller skip the store.
    public func checkRecord(for segment: String, walPath: String) -> RecordCheck {
        guard let record = state.record(for: segment) else { return .none }
        try? state.remove(segment)
        guard let local = Self.digest(of: walPath) else { return .otherContent }
        guard local.sha256 == record.sha256, local.size == record.size else {
            let note = "\(segment) has a look-ahead record for other content (recorded SHA-256 \(record.sha256), "
                + "\(record.size) bytes; local \(local.sha256), \(local.size) bytes); archiving it normally"
            logger.warning("\(note)")
            return .otherContent
        }
        return .matches(key: record.key)
    }

    /// Archives one segment PostgreSQL has marked ready but not asked for yet, and records it
    /// once durable. Returns nil, archiving nothing, when it is no longer marked ready or (with
    /// `segmentSize`) is of another size; throws when archiving fails, recording nothing. A
    /// record that cannot be written is only logged: the object is durable, just not remembered.
    public func pushAhead(
        _ wal: WALFileName, walDirectory: String, segmentSize: Int?
    ) async throws -> WALArchiver.Archived? {
        let path = "\(walDirectory)/\(wal.name)"
        // Checked again now: PostgreSQL may have archived it meanwhile (e.g. a killed call of ours
        // was followed by its own retry), and a segment of another size is not this cluster's.
        guard ReadySegments.isReady(wal.name, inWALDirectory: walDirectory),
            let size = try? FileHandle.openForReading(path).size(), segmentSize.map({ $0 == size }) ?? true
        else { return nil }
        let archived = try await archiver.archiveReportingContent(walPath: path)
        if let record = ArchiveStateRecord(
            segment: wal.name, sha256: archived.sha256, size: archived.size, key: archived.key)
        {
            do {
                try state.write(record)
            } catch {
                logger.warning("Archived \(wal.name) ahead as \(archived.key) but cannot record it: \(error)")
            }
        }
        return archived
    }

    /// SHA-256 and size of a local file, read in chunks; nil when it cannot be read.
    static func digest(of path: String) -> (sha256: String, size: Int)? {
        guard let handle = try? FileHandle.openForReading(path) else { return nil }
        defer { try? handle.close() }
        var digest = ContentDigest()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            guard let count = try? buffer.withUnsafeMutableBytes({ try handle.readFully(into: $0) }) else { return nil }
            if count == 0 { break }
            buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return (digest.finalize(), digest.byteCount)
    }
}
