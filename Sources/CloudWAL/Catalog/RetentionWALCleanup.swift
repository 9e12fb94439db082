/// The WAL objects that may go once a backup is deleted: barman-cloud's
/// `_remove_wals_for_backup` with `BackupManager.should_remove_wals` and
/// `get_timelines_to_protect`, rule for rule, so both tools keep exactly the same WAL.
public struct WALCleanupPlan: Sendable, Equatable {
    /// Whole hash directories (`.../wals/TTTTTTTTLLLLLLLL/`) whose every object goes.
    public var prefixes: [String] = []
    /// Single objects, sorted.
    public var keys: [String] = []

    public var isEmpty: Bool { prefixes.isEmpty && keys.isEmpty }
}

public enum RetentionWALCleanup {
    /// barman's `DEFAULT_STATUS_FILTER` for the previous and next backup: copies that finished.
    static let finished: Set<BackupInfo.Status> = [.waitingForWALs, .done]

    /// The WAL that no remaining backup needs after `deleted` goes. `catalog` still lists `deleted`.
    ///
    /// - WAL is removed only when no older finished backup exists, or every older one is kept
    ///   `standalone` (and then only when `skipIfStandalone` is false, i.e. under a retention
    ///   policy); each such backup's own `begin_wal...end_wal` stays.
    /// - Removal stops at the `begin_wal` of the next finished backup (or of `deleted` when it was
    ///   the newest: a concurrent backup may still need what follows).
    /// - Timelines that other backups (and, as in barman, the deleted one) are on are left alone,
    ///   except the timeline removal stops on; `.history` files always stay.
    ///
    /// One deliberate difference: where barman keeps one key per WAL name (so of `X` and `X.gz`
    /// only one would go), every stored form of a name that is no longer needed goes.
    public static func plan(
        deleting deleted: BackupInfo, catalog: CatalogSnapshot, inventory: WALInventory, skipIfStandalone: Bool
    ) -> WALCleanupPlan {
        let backups = catalog.backups
        guard let deletedIndex = backups.firstIndex(where: { $0.backupID == deleted.backupID }) else {
            return WALCleanupPlan()
        }
        func previous(before index: Int) -> Int? {
            (0..<index).last { backups[$0].status.map(finished.contains) == true }
        }

        // Older backups need the WAL from their start onwards, unless they are standalone.
        var protectedRanges: [(begin: String, end: String)] = []
        var cursor = previous(before: deletedIndex)
        while let index = cursor {
            guard catalog.keepTarget(backups[index].backupID) == .standalone, !skipIfStandalone else {
                return WALCleanupPlan()
            }
            if let begin = backups[index].beginWAL, let end = backups[index].endWAL {
                protectedRanges.append((begin, end))
            }
            cursor = previous(before: index)
        }

        let next = backups[(deletedIndex + 1)...].first { $0.status.map(finished.contains) == true }
        let removeUntil = next ?? deleted
        guard let untilName = removeUntil.beginWAL, let until = WALFileName(untilName), until.kind == .segment else {
            return WALCleanupPlan()
        }
        // barman means to protect every other backup's timeline, but it compares the deleted
        // backup by identity with a copy it read again, so the deleted backup's own timeline is
        // protected too: when the next backup is on another timeline, the WAL of the deleted
        // one's timeline stays. Followed as barman-cloud 3.19.1 behaves; it only keeps more.
        var protectedTimelines = Set(backups.compactMap(\.timeline))
        if let timeline = removeUntil.timeline { protectedTimelines.remove(timeline) }

        let ranges = protectedRanges.compactMap { range -> (begin: WALFileName, end: WALFileName)? in
            guard let begin = WALFileName(range.begin), let end = WALFileName(range.end) else { return nil }
            return (begin, end)
        }

        var plan = WALCleanupPlan()
        for prefix in inventory.prefixes {
            guard let (timeline, log) = decodeHashDirectory(prefix), !protectedTimelines.contains(Int(timeline)) else {
                continue
            }
            // barman's test, kept as written: timeline and log each within the range's bounds.
            let inProtectedRange = ranges.contains { range in
                timeline >= range.begin.timeline && log >= range.begin.log && timeline <= range.end.timeline
                    && log <= range.end.log
            }
            if !inProtectedRange, timeline == until.timeline, log < until.log {
                plan.prefixes.append(prefix)
            }
        }

        for entry in inventory.entries {
            guard !plan.prefixes.contains(where: { entry.key.hasPrefix($0) }),
                let wal = WALFileName(entry.name), wal.kind != .history,
                !protectedTimelines.contains(Int(wal.timeline))
            else { continue }
            let rangeName = wal.kind == .backupLabel ? String(entry.name.prefix(24)) : entry.name
            let inProtectedRange = protectedRanges.contains { range in
                !precedes(rangeName, range.begin) && !precedes(range.end, rangeName)
            }
            if !inProtectedRange, precedes(entry.name, untilName) {
                plan.keys.append(entry.key)
            }
        }
        plan.keys.sort { precedes($0, $1) }
        return plan
    }

    /// Python's string order (code points), which is what barman compares WAL names with.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.unicodeScalars.lexicographicallyPrecedes(rhs.unicodeScalars)
    }

    /// `.../wals/0000000100000002/` → (1, 2); `nil` for a folder that is no hash directory.
    static func decodeHashDirectory(_ prefix: String) -> (timeline: UInt32, log: UInt32)? {
        let component = prefix.split(separator: "/", omittingEmptySubsequences: false).dropLast().last ?? ""
        guard component.utf8.count == 16, component.utf8.allSatisfy({ isHexDigit($0) }),
            let timeline = UInt32(component.prefix(8), radix: 16), let log = UInt32(component.suffix(8), radix: 16)
        else { return nil }
        return (timeline, log)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...70).contains(byte) || (97...102).contains(byte)
    }
}
