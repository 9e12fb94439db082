/// What a retention policy says about each backup (barman's `RetentionPolicy._backup_report`).
public enum RetentionStatus: String, Sendable, Equatable {
    case valid = "VALID"
    case obsolete = "OBSOLETE"
    /// Outside the window but kept for the minimum redundancy.
    case potentiallyObsolete = "OBSOLETE*"
    case keepFull = "KEEP:FULL"
    case keepStandalone = "KEEP:STANDALONE"
    /// Not a DONE backup: retention leaves it alone.
    case none = "-"

    init(keep: KeepTarget) {
        self = keep == .standalone ? .keepStandalone : .keepFull
    }
}

extension RetentionPolicy {
    /// Each backup's status, evaluated newest first exactly as barman does. Only `OBSOLETE`
    /// backups are deleted; kept backups are never obsolete, and the minimum redundancy raises
    /// `REDUNDANCY` and keeps the newest backups outside a recovery window.
    ///
    /// Incremental backups (a `parent_backup_id`) are skipped as barman skips them; cloud backups
    /// are never incremental.
    public func report(_ catalog: CatalogSnapshot, minimumRedundancy: Int, now: Timestamp) -> [String: RetentionStatus] {
        var report: [String: RetentionStatus] = [:]
        let newestFirst = catalog.backups.reversed().filter { $0.raw("parent_backup_id") == nil }
        switch self {
        case let .redundancy(value):
            let redundancy = max(value, minimumRedundancy)
            var counted = 0
            for backup in newestFirst {
                guard backup.status == .done else {
                    report[backup.backupID] = RetentionStatus.none
                    continue
                }
                if let keep = catalog.keepTarget(backup.backupID) {
                    report[backup.backupID] = RetentionStatus(keep: keep)
                } else {
                    report[backup.backupID] = counted < redundancy ? .valid : .obsolete
                }
                // Kept backups count towards the redundancy, as in barman.
                counted += 1
            }
        case let .recoveryWindow(value, unit):
            let pointOfRecoverability = now.adding(seconds: -Int64(value) * unit.seconds)
            var foundOutside = false
            var valid = 0
            for backup in newestFirst {
                guard backup.status == .done else {
                    report[backup.backupID] = RetentionStatus.none
                    continue
                }
                let keep = catalog.keepTarget(backup.backupID).map(RetentionStatus.init(keep:))
                if !foundOutside {
                    // Inside the window, or the newest backup that ends before it starts: the
                    // base a recovery to the window's first moment needs.
                    report[backup.backupID] = keep ?? .valid
                    valid += 1
                    if let end = backup.endTime, end < pointOfRecoverability { foundOutside = true }
                } else if valid < minimumRedundancy {
                    report[backup.backupID] = keep ?? .potentiallyObsolete
                    valid += 1
                } else {
                    report[backup.backupID] = keep ?? .obsolete
                }
            }
        }
        return report
    }

    /// The backups the policy deletes, oldest first (so WAL is trimmed as each one goes).
    public func obsoleteBackups(_ catalog: CatalogSnapshot, minimumRedundancy: Int, now: Timestamp) -> [String] {
        let report = report(catalog, minimumRedundancy: minimumRedundancy, now: now)
        return catalog.backups.map(\.backupID).filter { report[$0] == .obsolete }
    }
}
