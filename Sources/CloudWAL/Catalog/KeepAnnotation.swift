/// The recovery target an archival backup is kept for (barman's `KeepManager`).
///
/// The annotation object `base/<id>/annotations/keep` holds the bare word (`full` or `standalone`,
/// no newline), exactly as barman-cloud writes and reads it, so either tool sees the other's keeps.
public enum KeepTarget: String, Sendable, CaseIterable {
    /// Point-in-time recovery from this backup to any later time: every later WAL stays.
    case full
    /// Recovery to the end of this backup only: just the WAL between `begin_wal` and `end_wal` stays.
    case standalone

    /// Reads an annotation's content. barman treats anything other than `standalone` as `full`
    /// "for safety" in its retention code, so an unexpected word is read the same way here.
    public init(annotation text: String) {
        let word = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        self = word == Self.standalone.rawValue ? .standalone : .full
    }

    /// barman's retention status word for a kept backup (`KEEP:FULL`, `KEEP:STANDALONE`).
    public var archivalStatus: String { "KEEP:" + rawValue.uppercased() }
}

/// Reads and writes keep annotations in the store.
public struct KeepAnnotations: Sendable {
    public let store: any ObjectStore
    public let layout: ArchiveLayout

    public init(store: any ObjectStore, layout: ArchiveLayout) {
        self.store = store
        self.layout = layout
    }

    /// The keep target of one backup, read from its annotation (`nil`: not kept).
    public func target(of backupID: String) async throws -> KeepTarget? {
        do {
            let bytes = try await store.get(layout.keepAnnotationKey(backupID)).collect(limit: 4096)
            return KeepTarget(annotation: String(decoding: bytes, as: UTF8.self))
        } catch let error as StorageError where error.kind == .notFound {
            return nil
        }
    }

    /// Every backup's keep target, found with one recursive listing of `base/` and then one read
    /// per annotation: annotations are rare, so this beats one read per backup (barman's cache does
    /// the same).
    public func allTargets() async throws -> [String: KeepTarget] {
        let listing = try await store.list(prefix: layout.basePrefix, delimiter: nil)
        var targets: [String: KeepTarget] = [:]
        for object in listing.objects {
            let parts = object.key.dropFirst(layout.basePrefix.count).split(separator: "/")
            guard parts.count == 3, parts[1] == "annotations", parts[2] == "keep" else { continue }
            let backupID = String(parts[0])
            if let target = try await target(of: backupID) { targets[backupID] = target }
        }
        return targets
    }

    /// Marks a backup as kept. An existing annotation is replaced, as barman does.
    public func keep(_ backupID: String, target: KeepTarget) async throws {
        _ = try await store.put(
            layout.keepAnnotationKey(backupID), body: Array(target.rawValue.utf8),
            options: PutOptions(createOnly: false))
    }

    /// Removes the keep annotation; releasing a backup that is not kept is not an error.
    public func release(_ backupID: String) async throws {
        try await store.delete(layout.keepAnnotationKey(backupID))
    }
}
