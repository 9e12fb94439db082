/// What is stored for the chosen backups, found by listing and by reading the small files
/// (`backup.info` was read when choosing; here manifests and `.history` files): the evidence
/// each backup starts from, the WAL index and which of it every timeline needs.
struct VerifyInventory: Sendable {
    enum HistoryRead: Sendable {
        case parsed(TimelineHistory)
        case unreadable(key: String, reason: String)
    }

    var backups: [BackupEvidence]
    var spans: [String: WALRangePlan.BackupSpan]
    var index: WALArchiveIndex
    var histories: [UInt32: HistoryRead]
    var plan: WALRangePlan

    func span(of info: BackupInfo) -> WALRangePlan.BackupSpan? { spans[info.backupID] }

    func historyState(of timeline: UInt32) -> TimelineEvidence.HistoryState {
        guard timeline > 1 else { return .notNeeded }
        switch histories[timeline] {
        case .parsed?: return .good
        case let .unreadable(key, reason)?: return .unreadable(key: key, reason: reason)
        case nil: return .missing
        }
    }

    /// Backup timelines that need a history but have no planned range (nothing else reports them).
    var timelinesWithoutRange: [UInt32] {
        let planned = Set(plan.ranges.map(\.timeline))
        return plan.timelinesNeedingHistory(backups: Array(spans.values)).filter { !planned.contains($0) }
    }

    /// Every stored WAL copy a needed range holds, in order.
    var walToRead: [WALArchiveIndex.Stored] {
        plan.ranges.flatMap { range in
            (index.segments[range.timeline] ?? [:]).filter { (range.first...range.last).contains($0.key) }
                .sorted { $0.key < $1.key }.flatMap { $0.value }
        }
    }
}

extension Verifier {
    static let historyLimit = 1 << 20

    func takeInventory(of infos: [BackupInfo], jobs: Int) async throws -> VerifyInventory {
        let done = infos.filter { $0.status == .done }
        let segmentSize = done.first?.xlogSegmentSize ?? 16 << 20
        guard let sequence = WALSegmentSequence(segmentSize: segmentSize) else {
            throw BackupError(.corrupt, "backup.info names a WAL segment size of \(segmentSize) bytes, which PostgreSQL never uses")
        }

        var backups: [BackupEvidence] = []
        var spans: [String: WALRangePlan.BackupSpan] = [:]
        for info in infos {
            let prefix = layout.backupPrefix(info.backupID)
            guard info.status == .done else {
                backups.append(BackupEvidence(info: info, prefix: prefix, objects: [], manifest: .absent))
                continue
            }
            let objects = try await store.list(prefix: prefix, delimiter: "/").objects
            let manifest = try await readManifest(prefix: prefix, objects: objects)
            backups.append(BackupEvidence(info: info, prefix: prefix, objects: objects, manifest: manifest))
            if let span = Self.span(of: info, sequence: sequence) { spans[info.backupID] = span }
        }

        let walObjects = done.isEmpty ? [] : try await store.list(prefix: layout.walsPrefix, delimiter: nil).objects
        let index = WALArchiveIndex(objects: walObjects, sequence: sequence)
        let histories = try await readHistories(index, jobs: jobs)
        var parsed: [UInt32: TimelineHistory] = [:]
        for (timeline, read) in histories { if case .parsed(let history) = read { parsed[timeline] = history } }
        let plan = WALRangePlan(backups: Array(spans.values), histories: parsed, index: index)
        return VerifyInventory(backups: backups, spans: spans, index: index, histories: histories, plan: plan)
    }

    /// The WAL a DONE backup needs, when its record names it.
    static func span(of info: BackupInfo, sequence: WALSegmentSequence) -> WALRangePlan.BackupSpan? {
        guard let timeline = info.timeline, let beginName = info.beginWAL.flatMap(WALFileName.init),
            let endName = info.endWAL.flatMap(WALFileName.init), let begin = sequence.number(of: beginName),
            let end = sequence.number(of: endName), let beginLSN = info.beginXLOG.flatMap(LSN.init)
        else { return nil }
        return WALRangePlan.BackupSpan(
            backupID: info.backupID, timeline: UInt32(clamping: timeline), begin: begin, end: end, beginLSN: beginLSN,
            systemIdentifier: info.systemID.flatMap { UInt64($0) })
    }

    private func readManifest(prefix: String, objects: [ObjectInfo]) async throws -> BackupEvidence.ManifestState {
        let found = BackupManifestFile.find(in: objects, prefix: prefix)
        let parts = BackupTarLayout(objects: objects, prefix: prefix).parts
        if let mismatch = BackupManifestFile.mismatch(found, parts: parts) { return .unreadable(mismatch) }
        let key: String
        switch found {
        case .absent: return .absent
        case .plain(let plain): key = plain
        case .encrypted(let encrypted): key = encrypted
        case .ambiguous:
            return .unreadable("both \(BackupManifest.fileName) and \(BackupManifest.encryptedFileName) are stored")
        }
        let name = String(key.dropFirst(prefix.count))
        do {
            guard let manifest = try await BackupManifestFile.read(
                key: key, encrypted: found == .encrypted(key: key), store: store, layout: layout, keys: keys)
            else {
                return .unreadable("\(name) is not a manifest this version understands")
            }
            return .present(manifest)
        } catch {
            return .unreadable("\(name) is unreadable: \(try ReadProblem.describe(error))")
        }
    }

    /// Every `.history` file in the archive (they are few and small), parsed.
    private func readHistories(_ index: WALArchiveIndex, jobs: Int) async throws -> [UInt32: VerifyInventory.HistoryRead] {
        let reader = walReader
        let files = index.histories.keys.sorted().compactMap { index.histories[$0]?.first }
        let reads = try await BoundedConcurrency.map(files, limit: jobs) { stored -> (UInt32, VerifyInventory.HistoryRead) in
            var bytes: [UInt8] = []
            do {
                _ = try await reader.read(stored.key, compression: stored.compression, expectSegment: false) { chunk in
                    guard bytes.count + chunk.count <= Self.historyLimit else {
                        throw BackupError(.corrupt, "\(stored.key) is larger than \(Self.historyLimit) bytes")
                    }
                    bytes += chunk
                }
                let history = try TimelineHistory(timeline: stored.wal.timeline, text: String(decoding: bytes, as: UTF8.self))
                return (stored.wal.timeline, .parsed(history))
            } catch {
                return (stored.wal.timeline, .unreadable(key: stored.key, reason: try ReadProblem.describe(error)))
            }
        }
        return Dictionary(reads, uniquingKeysWith: { first, _ in first })
    }
}
