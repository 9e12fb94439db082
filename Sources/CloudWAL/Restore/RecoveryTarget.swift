/// Where recovery stops (`recovery_target_time`/`_lsn`/`_name`); PostgreSQL allows one at most.
public enum RecoveryTarget: Sendable, Equatable {
    case time(Timestamp)
    case lsn(LSN)
    case name(String)
}

/// `recovery_target_timeline`: a number, `current` (the backup's) or `latest` (PostgreSQL's default).
public enum TimelineTarget: Sendable, Equatable, CustomStringConvertible {
    case current
    case latest
    case number(Int)

    public init?(_ text: String) {
        switch text {
        case "current": self = .current
        case "latest": self = .latest
        default:
            guard let value = Int(text), value > 0 else { return nil }
            self = .number(value)
        }
    }

    public var description: String {
        switch self {
        case .current: "current"
        case .latest: "latest"
        case .number(let value): String(value)
        }
    }
}

/// `recovery_target_action`.
public enum RecoveryTargetAction: String, Sendable, CaseIterable {
    case pause, promote, shutdown
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
