/// Choosing the backup to restore.
extension BackupRestorer {
    /// The backup `request` names (an id, a shortcut, a name) or, for `auto`, the one
    /// `BackupAutoSelection` picks; only a DONE backup can be restored.
    func choose(_ request: RestoreRequest) async throws -> BackupInfo {
        let infos = try await catalog.allInfos()
        let info = try await choose(request, infos: infos)
        guard info.status == .done else {
            throw BackupError(
                .refused, "Backup \(info.backupID) has status \(info.status?.rawValue ?? "unknown"), not DONE: it cannot be restored")
        }
        return info
    }

    private func choose(_ request: RestoreRequest, infos: [BackupInfo]) async throws -> BackupInfo {
        guard request.backupID == "auto" else { return try catalog.resolve(request.backupID, among: infos) }
        var timeline: Int?
        switch request.autoTimeline {
        case .number(let number)?: timeline = number
        case .latest?: timeline = try await latestArchivedTimeline()
        case .current?:
            throw BackupError(.invalidInput, "'current' is not a valid timeline keyword when recovering without a backup_id")
        case nil: timeline = nil
        }
        guard let chosen = BackupAutoSelection.choose(from: infos, criterion: request.autoCriterion, timeline: timeline) else {
            throw BackupError(.notFound, "Cannot find any candidate backup for recovery")
        }
        return chosen
    }

    /// The newest timeline with anything in the WAL archive (hash folders and `.history` files).
    private func latestArchivedTimeline() async throws -> Int? {
        let listing = try await store.list(prefix: layout.walsPrefix, delimiter: "/")
        let names = listing.commonPrefixes.map { String($0.dropFirst(layout.walsPrefix.count).prefix(8)) }
            + listing.objects.map { String($0.key.dropFirst(layout.walsPrefix.count).prefix(8)) }
        return names.compactMap { Int($0, radix: 16) }.max()
    }
}

/// How `auto` picks a backup, as barman-cloud's `get_backup_id_from_target_*`: the newest DONE
/// backup that ended at or before the target time, or whose end LSN is at or before the target
/// LSN (recovery cannot stop before the backup is consistent); without a target, the newest.
/// A timeline restricts the choice to backups taken on it.
public enum BackupAutoSelection {
    public enum Criterion: Sendable, Equatable {
        case latest
        case time(Timestamp)
        case lsn(LSN)
    }

    public static func choose(from infos: [BackupInfo], criterion: Criterion, timeline: Int?) -> BackupInfo? {
        let candidates = infos.filter { $0.status == .done }.sorted { $0.backupID > $1.backupID }
        return candidates.first { info in
            if let timeline, info.timeline != timeline { return false }
            switch criterion {
            case .latest: return true
            case .time(let target):
                guard let end = info.endTime else { return false }
                return end <= target
            case .lsn(let target):
                guard let end = info.endXLOG.flatMap(LSN.init) else { return false }
                return end <= target
            }
        }
    }
}
