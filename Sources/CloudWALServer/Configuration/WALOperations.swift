import CloudWAL
import Logging

/// The library calls behind `/wal-push` and `/wal-fetch`: the seam between HTTP and archiving,
/// so the routes can be tested without storage and the storage code stays the CLI's.
public protocol WALOperations: Sendable {
    /// Archives `$PGWAL/<wal>`; returns once the object is durable.
    func push(_ wal: WALFileName) async throws -> WALArchiver.Outcome
    /// Restores `wal` into `path` (atomically); returns the uncompressed size.
    func fetch(_ wal: WALFileName, to path: String) async throws -> Int
    /// Like `fetch`, for a segment fetched ahead of its request (`FetchAhead`): only a complete
    /// segment, never its `.partial`, which is served only to a request that asks for it.
    func fetchAhead(_ wal: WALFileName, to path: String) async throws -> Int
}

extension WALOperations {
    public func fetchAhead(_ wal: WALFileName, to path: String) async throws -> Int {
        try await fetch(wal, to: path)
    }
}

/// `WALOperations` over `WALArchiver` and `WALRestorer`, exactly as `wal-archive` and
/// `wal-restore` use them.
public struct LibraryWALOperations: WALOperations {
    public let archiver: WALArchiver
    public let restorer: WALRestorer
    public let walDirectory: String

    public init(archiver: WALArchiver, restorer: WALRestorer, walDirectory: String) {
        self.archiver = archiver
        self.restorer = restorer
        self.walDirectory = walDirectory
    }

    public func push(_ wal: WALFileName) async throws -> WALArchiver.Outcome {
        try await archiver.archive(walPath: walDirectory + "/" + wal.name)
    }

    public func fetch(_ wal: WALFileName, to path: String) async throws -> Int {
        try await restore(wal, to: path, allowPartial: true)
    }

    public func fetchAhead(_ wal: WALFileName, to path: String) async throws -> Int {
        try await restore(wal, to: path, allowPartial: false)
    }

    private func restore(_ wal: WALFileName, to path: String, allowPartial: Bool) async throws -> Int {
        switch try await restorer.restore(walName: wal.name, to: path, allowPartial: allowPartial) {
        case .restored(_, let size, _, _):
            return size
        case .fromSpool:
            let handle = try FileHandle.openForReading(path)
            defer { try? handle.close() }
            return try handle.size()
        }
    }
}
