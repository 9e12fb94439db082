import Logging

/// The backups of one server as the store holds them: listing, reading `backup.info`, and
/// resolving the ids operators type (`latest`, `oldest`, `last-failed`, a backup name).
public struct BackupCatalog: Sendable {
    public let store: any ObjectStore
    public let layout: ArchiveLayout
    let logger: Logger

    public init(store: any ObjectStore, layout: ArchiveLayout, logger: Logger) {
        self.store = store
        self.layout = layout
        self.logger = logger
    }

    /// Backup ids with a folder under `base/`, sorted (ids are timestamps, so oldest first).
    public func backupIDs() async throws -> [String] {
        let listing = try await store.list(prefix: layout.basePrefix, delimiter: "/")
        return listing.commonPrefixes.compactMap { prefix -> String? in
            guard prefix.hasPrefix(layout.basePrefix) else { return nil }
            let id = prefix.dropFirst(layout.basePrefix.count).split(separator: "/").first.map(String.init)
            return id?.isEmpty == false ? id : nil
        }.sorted()
    }

    /// The backup's record, or `nil` when it has no `backup.info`.
    public func info(_ backupID: String) async throws -> BackupInfo? {
        let bytes: [UInt8]
        do {
            bytes = try await store.get(layout.backupInfoKey(backupID)).collect(limit: 1 << 20)
        } catch let error as StorageError where error.kind == .notFound {
            return nil
        }
        return try BackupInfo(backupID: backupID, text: String(decoding: bytes, as: UTF8.self))
    }

    /// Every readable record, oldest first; unreadable ones are warned about and skipped, as barman does.
    public func allInfos() async throws -> [BackupInfo] {
        var infos: [BackupInfo] = []
        for id in try await backupIDs() {
            do {
                if let info = try await info(id) { infos.append(info) }
            } catch let error as BackupError {
                logger.warning("Skipping backup \(id): \(error)")
            }
        }
        return infos
    }

    /// Resolves an id as typed: `latest`/`last`, `oldest`/`first` (among DONE backups),
    /// `last-failed`, an exact id, or a backup name.
    public func resolve(_ requested: String, among infos: [BackupInfo]) throws -> BackupInfo {
        let done = infos.filter { $0.status == .done }
        let found: BackupInfo?
        switch requested {
        case "latest", "last": found = done.last
        case "oldest", "first": found = done.first
        case "last-failed": found = infos.last { $0.status == .failed }
        default:
            if let exact = infos.first(where: { $0.backupID == requested }) {
                found = exact
            } else {
                let named = infos.filter { $0.backupName == requested }
                if named.count > 1 {
                    throw BackupError(.invalidInput, "Multiple backups have the name '\(requested)': use a backup id")
                }
                found = named.first
            }
        }
        guard let info = found else {
            throw BackupError(.notFound, "Unknown backup '\(requested)' for server '\(layout.serverName)'")
        }
        return info
    }

    public func resolve(_ requested: String) async throws -> BackupInfo {
        try resolve(requested, among: try await allInfos())
    }
}

extension ObjectDownload {
    /// The whole body, refusing more than `limit` bytes (small control files only).
    public func collect(limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in chunks {
            bytes += chunk
            guard bytes.count <= limit else {
                throw BackupError(.corrupt, "\(info.key) is larger than \(limit) bytes")
            }
        }
        return bytes
    }
}
