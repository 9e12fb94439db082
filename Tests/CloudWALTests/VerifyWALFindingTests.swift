import CloudWAL
import Testing

/// `verify`'s WAL rules without a store: gaps, duplicates, timelines and their history files.
@Suite("verify: WAL findings")
struct VerifyWALFindingTests {
    static let segmentSize = 1 << 20
    static let sequence = WALSegmentSequence(segmentSize: segmentSize)!
    static let prefix = "pg/pg1/wals/"

    /// Objects at barman-cloud's keys for segments `numbers` of `timeline`.
    static func objects(_ timeline: UInt32, _ numbers: [UInt64], ext: String = "") -> [ObjectInfo] {
        numbers.compactMap { number in
            sequence.name(timeline: timeline, number: number).map { wal in
                ObjectInfo(key: prefix + (wal.hashDirectory ?? "") + "/" + wal.name + ext, size: 100)
            }
        }
    }

    static func span(_ id: String, timeline: UInt32 = 1, begin: UInt64, end: UInt64) -> WALRangePlan.BackupSpan {
        WALRangePlan.BackupSpan(
            backupID: id, timeline: timeline, begin: begin, end: end, beginLSN: LSN(begin * UInt64(segmentSize) + 40),
            systemIdentifier: 42)
    }

    @Test func missingSegmentsAreListedAsRuns() {
        let index = WALArchiveIndex(objects: Self.objects(1, [2, 3, 5, 9, 10]), sequence: Self.sequence)
        let runs = WALGaps.missing(in: 2...12, on: 1, index: index)
        #expect(runs == [4...4, 6...8, 11...12])
        #expect(WALGaps.describe(6...8, on: 1, sequence: Self.sequence)
            == "000000010000000000000006 to 000000010000000000000008 (3 segments)")
        #expect(WALGaps.describe(4...4, on: 1, sequence: Self.sequence) == "000000010000000000000004")
        #expect(WALGaps.missing(in: 2...3, on: 1, index: index).isEmpty)
    }

    @Test func aPartialFillsItsPlaceButIsNoSegment() {
        let partial = ObjectInfo(key: Self.prefix + "0000000100000000/000000010000000000000004.partial", size: 10)
        let index = WALArchiveIndex(objects: Self.objects(1, [2, 3]) + [partial], sequence: Self.sequence)
        #expect(WALGaps.missing(in: 2...4, on: 1, index: index).isEmpty)
        #expect(index.newestSegment(on: 1) == 3)
        #expect(index.copies(of: 4, on: 1).isEmpty)
    }

    @Test func gapsAndDuplicatesBecomeFailures() throws {
        let objects = Self.objects(1, [2, 3, 4, 6]) + Self.objects(1, [3], ext: ".gz")
        let index = WALArchiveIndex(objects: objects, sequence: Self.sequence)
        let plan = WALRangePlan(backups: [Self.span("b1", begin: 2, end: 3)], histories: [:], index: index)
        let range = try #require(plan.ranges.first)
        #expect(plan.ranges.count == 1 && range.first == 2 && range.last == 6)
        let evidence = TimelineEvidence(range: range, index: index, readings: [:], history: .notNeeded)
        let gaps = TimelineChecks.gaps(evidence)
        #expect(gaps.map(\.message) == ["WAL missing: 000000010000000000000005"])
        #expect(gaps.allSatisfy { $0.severity == .failure && $0.check == .walGap && $0.subject == .timeline(1) })
        let duplicates = TimelineChecks.duplicates(evidence)
        #expect(duplicates.count == 1)
        #expect(duplicates.first?.message.contains("000000010000000000000003 is stored 2 times") == true)
        #expect(duplicates.first?.message.contains("000000010000000000000003.gz") == true)
        #expect(duplicates.first?.severity == .failure)
    }

    @Test func duplicatesSayWhetherTheirContentAgrees() throws {
        let objects = Self.objects(1, [2]) + Self.objects(1, [2], ext: ".zst")
        let index = WALArchiveIndex(objects: objects, sequence: Self.sequence)
        let copies = index.copies(of: 2, on: 1)
        #expect(copies.map(\.compression) == [nil, .zstd])
        func reading(_ stored: WALArchiveIndex.Stored, _ sha: String) -> WALReading {
            WALReading(stored: stored, size: Self.segmentSize, sha256: sha, checksumRecorded: true, firstBytes: [], problem: nil)
        }
        let range = WALRangePlan.Range(timeline: 1, first: 2, last: 2, systemIdentifier: nil)
        let same = TimelineEvidence(
            range: range, index: index, readings: Dictionary(uniqueKeysWithValues: copies.map { ($0.key, reading($0, "aa")) }),
            history: .notNeeded)
        #expect(TimelineChecks.duplicates(same).first?.message.hasSuffix("same content") == true)
        let different = TimelineEvidence(
            range: range, index: index,
            readings: [copies[0].key: reading(copies[0], "aa"), copies[1].key: reading(copies[1], "bb")], history: .notNeeded)
        #expect(TimelineChecks.duplicates(different).first?.message.hasSuffix("different content") == true)
    }

    @Test func aLaterTimelineIsFollowedFromItsSwitchpoint() throws {
        // Backup on timeline 1 at segment 2; promotion to 2 in segment 6; timeline 3 branched
        // from 1 at segment 1, before the backup: recovery from it can never follow 3.
        let switchTo2 = LSN(6 * UInt64(Self.segmentSize) + 0x1234)
        let histories = [
            UInt32(2): TimelineHistory(timeline: 2, entries: [.init(1, switchTo2)]),
            3: TimelineHistory(timeline: 3, entries: [.init(1, LSN(UInt64(Self.segmentSize) + 8))]),
        ]
        let objects = Self.objects(1, [2, 3, 4]) + Self.objects(2, [6, 7, 8]) + Self.objects(3, [1, 2])
        let index = WALArchiveIndex(objects: objects, sequence: Self.sequence)
        let backups = [Self.span("b1", begin: 2, end: 3)]
        let plan = WALRangePlan(backups: backups, histories: histories, index: index)
        #expect(plan.ranges == [
            // Timeline 1 must reach the segment before the switch, though only 4 is stored.
            WALRangePlan.Range(timeline: 1, first: 2, last: 5, systemIdentifier: 42),
            WALRangePlan.Range(timeline: 2, first: 6, last: 8, systemIdentifier: 42),
        ])
        #expect(plan.timelinesNeedingHistory(backups: backups) == [2])
        let evidence = TimelineEvidence(range: plan.ranges[0], index: index, readings: [:], history: .notNeeded)
        #expect(TimelineChecks.gaps(evidence).map(\.message) == ["WAL missing: 000000010000000000000005"])
    }

    @Test func aTimelineWithoutItsHistoryFails() {
        let range = WALRangePlan.Range(timeline: 2, first: 6, last: 6, systemIdentifier: nil)
        let index = WALArchiveIndex(objects: Self.objects(2, [6]), sequence: Self.sequence)
        let missing = TimelineChecks.history(TimelineEvidence(range: range, index: index, readings: [:], history: .missing))
        #expect(missing.map(\.message) == ["00000002.history is not archived: recovery cannot follow this timeline"])
        #expect(missing.first?.severity == .failure)
        let bad = TimelineChecks.history(TimelineEvidence(
            range: range, index: index, readings: [:], history: .unreadable(key: "k", reason: "line 1 is not ...")))
        #expect(bad.first?.check == .walHistory && bad.first?.key == "k")
        #expect(TimelineChecks.history(TimelineEvidence(range: range, index: index, readings: [:], history: .good)).isEmpty)
    }

    @Test func historyFilesParseAsPostgreSQLWritesThem() throws {
        let text = "1\t0/5000000\tno recovery target specified\n\n# comment\n2\t0/7000028\tbefore 2026-01-01 00:00:00+00\n"
        let history = try TimelineHistory(timeline: 3, text: text)
        #expect(history.entries == [.init(1, LSN(0x500_0000)), .init(2, LSN(0x700_0028))])
        #expect(history.parent?.timeline == 2)
        #expect(history.switchpoint(leaving: 1) == LSN(0x500_0000))
        #expect(throws: TimelineHistoryError.self) { try TimelineHistory(timeline: 2, text: "garbage\n") }
        #expect(throws: TimelineHistoryError.self) { try TimelineHistory(timeline: 2, text: "2\t0/5000000\tself\n") }
        #expect(throws: TimelineHistoryError.self) { try TimelineHistory(timeline: 3, text: "2\t0/5\tx\n1\t0/6\ty\n") }
        #expect(throws: TimelineHistoryError.self) { try TimelineHistory(timeline: 2, text: "# only a comment\n") }
    }

    @Test func segmentContentIsChecked() throws {
        let index = WALArchiveIndex(objects: Self.objects(1, [2]), sequence: Self.sequence)
        let stored = try #require(index.copies(of: 2, on: 1).first)
        func reading(size: Int = Self.segmentSize, first: [UInt8], recorded: Bool = false, problem: String? = nil) -> WALReading {
            WALReading(stored: stored, size: size, sha256: "aa", checksumRecorded: recorded, firstBytes: first, problem: problem)
        }
        let header = TestData.walHeader(stored.wal.name, systemIdentifier: 42)
        func check(_ reading: WALReading) -> VerifyFinding? {
            TimelineChecks.finding(for: stored, reading: reading, segmentSize: Self.segmentSize, systemIdentifier: 42, subject: .timeline(1))
        }
        #expect(check(reading(first: header)) == nil)
        #expect(check(reading(size: 4096, first: header))?.message.contains("not the segment size") == true)
        #expect(check(reading(first: TestData.walHeader("000000010000000000000003", systemIdentifier: 42)))?.message
            .contains("holds the WAL of another segment") == true)
        #expect(check(reading(first: TestData.walHeader(stored.wal.name, systemIdentifier: 7)))?.message
            .contains("written by system 7, not by the backups' system 42") == true)
        #expect(check(reading(first: header, problem: "x is corrupt: SHA-256 ..."))?.severity == .failure)

        // Without a recorded checksum: one warning with the count, not a failure.
        let range = WALRangePlan.Range(timeline: 1, first: 2, last: 2, systemIdentifier: 42)
        let unrecorded = TimelineEvidence(range: range, index: index, readings: [stored.key: reading(first: header)], history: .notNeeded)
        let warnings = TimelineChecks.findings(unrecorded)
        #expect(warnings.count == 1)
        #expect(warnings.first?.severity == .warning && warnings.first?.check == .walUnchecksummed)
        #expect(warnings.first?.message.hasPrefix("1 segment without a recorded SHA-256") == true)
        let recorded = TimelineEvidence(
            range: range, index: index, readings: [stored.key: reading(first: header, recorded: true)], history: .notNeeded)
        #expect(TimelineChecks.findings(recorded).isEmpty)
    }
}
