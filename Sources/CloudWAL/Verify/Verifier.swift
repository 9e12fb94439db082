import Logging

/// `cloud-wal verify`: proves, without restoring, that backups and the WAL after them are
/// complete and intact, in four steps: choose the backups (`BackupSelection.swift`), find what
/// is stored (`VerifyInventory.swift`), read every needed object in parallel
/// (`VerifyReads.swift`), then run the checks (`BackupChecks`, `TimelineChecks`), which only
/// turn what was found into findings.
///
/// Nothing is written anywhere: objects are streamed, decompressed and hashed, then dropped.
/// Memory is bounded by `jobs` streams at a time.
public struct Verifier: Sendable {
    let catalog: BackupCatalog
    var store: any ObjectStore { catalog.store }
    var layout: ArchiveLayout { catalog.layout }
    var logger: Logger { catalog.logger }
    /// The keys for encrypted backups and WAL (`--encryption-keyring`). Without them an
    /// encrypted object ends the run with an error naming the key it needs.
    let keys: (any ObjectKeyProvider)?

    public init(store: any ObjectStore, layout: ArchiveLayout, logger: Logger, keys: (any ObjectKeyProvider)? = nil) {
        catalog = BackupCatalog(store: store, layout: layout, logger: logger)
        self.keys = keys
    }

    /// Backup parts read as restore reads them (decrypted, decompressed).
    var partReader: BackupPartReader { BackupPartReader(store: store, layout: layout, keys: keys) }

    /// WAL read as wal-restore reads it.
    var walReader: WALObjectReader {
        WALObjectReader(store: store, decryption: keys.map { WALDecryption(keys: $0, serverName: layout.serverName) })
    }

    public func verify(_ request: VerifyRequest) async throws -> VerifyReport {
        let clock = ContinuousClock()
        let started = clock.now
        let selected = try await select(request.selection)
        let inventory = try await takeInventory(of: selected.infos, jobs: request.jobs)

        let outcome = try await read(inventory, jobs: request.jobs)
        var backupFindings: [VerifyFinding] = []
        var backups = inventory.backups
        for index in backups.indices {
            backups[index].readings = outcome.tarReadings[backups[index].info.backupID] ?? [:]
            backups[index].neededWAL = neededWAL(of: backups[index].info, inventory: inventory, readings: outcome.walReadings)
            backupFindings += BackupChecks.findings(backups[index])
        }
        var timelineFindings: [VerifyFinding] = []
        for range in inventory.plan.ranges {
            let evidence = TimelineEvidence(
                range: range, index: inventory.index, readings: outcome.walReadings,
                history: inventory.historyState(of: range.timeline))
            timelineFindings += TimelineChecks.findings(evidence)
        }
        for timeline in inventory.timelinesWithoutRange {
            // A backup's timeline whose WAL is not even planned still needs its history.
            let range = WALRangePlan.Range(timeline: timeline, first: 0, last: 0, systemIdentifier: nil)
            timelineFindings += TimelineChecks.history(TimelineEvidence(
                range: range, index: inventory.index, readings: [:], history: inventory.historyState(of: timeline)))
        }

        var totals = VerifyReport.Totals()
        totals.backupsChecked = backups.filter { $0.info.status == .done }.count
        totals.segmentsChecked = outcome.walReadings.count
        totals.bytesRead = outcome.bytesRead
        totals.seconds = Self.seconds(clock.now - started)
        return VerifyReport(
            backupIDs: backups.map(\.info.backupID), findings: selected.findings + backupFindings + timelineFindings, totals: totals)
    }

    /// The state of each segment from the backup's begin WAL to its end WAL.
    func neededWAL(
        of info: BackupInfo, inventory: VerifyInventory, readings: [String: WALReading]
    ) -> [(name: String, state: BackupEvidence.NeededSegment)] {
        guard info.status == .done, let span = inventory.span(of: info) else { return [] }
        let sequence = inventory.index.sequence
        var states: [(name: String, state: BackupEvidence.NeededSegment)] = []
        for number in span.begin...max(span.begin, span.end) {
            let name = sequence.name(timeline: span.timeline, number: number)?.name ?? "?"
            let copies = inventory.index.copies(of: number, on: span.timeline)
            guard !copies.isEmpty else {
                states.append((name, .missing))
                continue
            }
            let damaged = copies.contains { stored in
                guard let reading = readings[stored.key] else { return true }
                return TimelineChecks.finding(
                    for: stored, reading: reading, segmentSize: sequence.segmentSize,
                    systemIdentifier: span.systemIdentifier, subject: .timeline(span.timeline))?.severity == .failure
            }
            states.append((name, damaged ? .damaged : .good))
        }
        return states
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
