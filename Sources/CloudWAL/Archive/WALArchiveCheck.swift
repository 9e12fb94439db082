/// `check-wal-archive`: whether a new cluster may start archiving into this server's folder
/// (barman's `xlog.check_archive_usable`). CloudNativePG runs it before the first WAL, so a new
/// cluster never mixes its WAL into an old cluster's archive.
public enum WALArchiveCheck {
    /// What the check found, for a log line.
    public enum Outcome: Sendable, Equatable {
        /// The bucket (or root directory) does not exist: nothing was ever archived there.
        case locationMissing
        /// The archive holds no WAL at all, or none on the given timeline or later.
        case usable(walCount: Int)
    }

    /// Passes for an empty archive; with `timeline`, also for one whose files are all on earlier
    /// timelines. Otherwise throws `WALError(.conflict)` (exit 1) in barman's words. Segments,
    /// `.partial`, `.backup` and `.history` files all count, once per name whatever the
    /// compression; objects that are no WAL name are ignored.
    ///
    /// barman-cloud creates a missing bucket here; we do not create buckets or file:// roots
    /// (which settings a bucket gets, and whether an unmounted volume may be replaced by a local
    /// directory, is for the operator to decide), and report the missing location as usable,
    /// since it holds nothing.
    public static func run(store: any ObjectStore, layout: ArchiveLayout, timeline: Int?) async throws -> Outcome {
        if let timeline, timeline < 1 {
            throw WALError(.invalidInput, "Cannot check WAL archive with malformed timeline \(timeline)")
        }
        if try await store.checkBucket() == .missing { return .locationMissing }
        let names = try await WALInventory.load(store: store, layout: layout, withPrefixes: false).names
        let failure = "WAL archive check failed for server \(layout.serverName): "
        guard let timeline else {
            guard names.isEmpty else { throw WALError(.conflict, failure + "Expected empty archive") }
            return .usable(walCount: 0)
        }
        let newer = names.compactMap(WALFileName.init).filter { Int($0.timeline) >= timeline }.count
        guard newer == 0 else {
            throw WALError(
                .conflict,
                failure + "Found \(newer) file\(newer > 1 ? "s" : "") in WAL archive equal to or newer than "
                    + "timeline \(timeline)")
        }
        return .usable(walCount: names.count)
    }
}
