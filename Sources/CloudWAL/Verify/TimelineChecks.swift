/// The checks run on every needed timeline, in order; each turns `TimelineEvidence` into findings.
public enum TimelineChecks {
    public typealias Check = @Sendable (TimelineEvidence) -> [VerifyFinding]

    public static let all: [Check] = [history, gaps, duplicates, segments, unchecksummed]

    public static func findings(_ evidence: TimelineEvidence) -> [VerifyFinding] {
        all.flatMap { $0(evidence) }
    }

    /// Recovery onto a timeline after 1 reads its `.history` file first.
    public static let history: Check = { evidence in
        let name = TimelineChecks.historyName(evidence.timeline)
        switch evidence.history {
        case .notNeeded, .good: return []
        case .missing:
            return [.failure(.walHistory, evidence.subject, "\(name) is not archived: recovery cannot follow this timeline")]
        case let .unreadable(key, reason):
            return [.failure(.walHistory, evidence.subject, key: key, "\(name) is unreadable: \(reason)")]
        }
    }

    /// Segments between the first needed and the last needed one that are not stored in any form.
    public static let gaps: Check = { evidence in
        let sequence = evidence.index.sequence
        return WALGaps.missing(in: evidence.numbers, on: evidence.timeline, index: evidence.index).map { run in
            .failure(.walGap, evidence.subject,
                "WAL missing: \(WALGaps.describe(run, on: evidence.timeline, sequence: sequence))")
        }
    }

    /// One segment stored under two names: which one a restore gets is the store's listing order.
    public static let duplicates: Check = { evidence in
        let byNumber = (evidence.index.segments[evidence.timeline] ?? [:]).filter { evidence.numbers.contains($0.key) }
        return byNumber.keys.sorted().compactMap { number -> VerifyFinding? in
            guard let copies = byNumber[number], copies.count > 1 else { return nil }
            let digests = Set(copies.map { evidence.readings[$0.key]?.sha256 ?? "?\($0.key)" })
            let content = digests.count == 1 ? "same content" : "different content"
            return .failure(.walDuplicate, evidence.subject, key: copies[0].key,
                "\(copies[0].wal.name) is stored \(copies.count) times (\(copies.map(\.key).joined(separator: ", "))), \(content)")
        }
    }

    /// Each copy's bytes: the reader's own checks, the segment size, the page header naming the
    /// segment, and the system identifier of the backups that need it.
    public static let segments: Check = { evidence in
        evidence.copies.compactMap { stored -> VerifyFinding? in
            guard let reading = evidence.readings[stored.key] else { return nil }
            return TimelineChecks.finding(
                for: stored, reading: reading, segmentSize: evidence.index.sequence.segmentSize,
                systemIdentifier: evidence.range.systemIdentifier, subject: evidence.subject)
        }
    }

    /// What one copy's reading says, if anything; shared with the backups' own WAL check.
    public static func finding(
        for stored: WALArchiveIndex.Stored, reading: WALReading, segmentSize: Int, systemIdentifier expected: UInt64?,
        subject: VerifyFinding.Subject
    ) -> VerifyFinding? {
        func failure(_ message: String) -> VerifyFinding { .failure(.walSegment, subject, key: stored.key, message) }
        if let problem = reading.problem { return failure(problem) }
        if reading.size != segmentSize {
            return failure("\(stored.key) holds \(reading.size) bytes, not the segment size \(segmentSize)")
        }
        switch WALHeaderCheck.check(firstBytes: reading.firstBytes, name: stored.wal, fileSize: reading.size) {
        case .mismatch(let reason):
            return failure("\(stored.key): \(reason)")
        case .unknownMagic(let magic, let systemIdentifier):
            if let expected, expected != systemIdentifier { return failure(sysidMessage(stored, systemIdentifier, expected)) }
            return .warning(.walSegment, subject, key: stored.key,
                "\(stored.key) has a page magic 0x\(WALHeaderCheck.hex(magic)) no known PostgreSQL writes")
        case .consistent(let systemIdentifier):
            if let expected, expected != systemIdentifier { return failure(sysidMessage(stored, systemIdentifier, expected)) }
            return nil
        case .notApplicable:
            return nil
        }
    }

    /// barman-cloud records no checksum: such segments were checked for size and header only.
    public static let unchecksummed: Check = { evidence in
        let count = evidence.copies.filter { evidence.readings[$0.key].map { $0.problem == nil && !$0.checksumRecorded } == true }
            .count
        guard count > 0 else { return [] }
        return [.warning(.walUnchecksummed, evidence.subject,
            "\(count) segment\(count == 1 ? "" : "s") without a recorded SHA-256 (archived by barman-cloud?): size and page header checked only")]
    }

    static func sysidMessage(_ stored: WALArchiveIndex.Stored, _ found: UInt64, _ expected: UInt64) -> String {
        "\(stored.key) was written by system \(found), not by the backups' system \(expected)"
    }

    static func historyName(_ timeline: UInt32) -> String {
        let digits = String(timeline, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".history"
    }
}
