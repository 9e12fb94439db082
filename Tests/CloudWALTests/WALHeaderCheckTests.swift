import CloudWAL
import Testing

/// The first-page check, on headers built as PostgreSQL lays them out (no I/O).
@Suite("WAL page header check")
struct WALHeaderCheckTests {
    static let name = "000000010000000000000003"

    func check(_ bytes: [UInt8], _ name: String = name, size: Int = 1 << 20) -> WALHeaderCheck.Verdict {
        guard let wal = WALFileName(name) else { return .mismatch("test bug: \(name)") }
        return WALHeaderCheck.check(firstBytes: bytes, name: wal, fileSize: size)
    }

    func isMismatch(_ verdict: WALHeaderCheck.Verdict, mentioning text: String) -> Bool {
        if case .mismatch(let reason) = verdict { return reason.contains(text) && !reason.contains("\n") }
        return false
    }

    @Test func parsesEveryFieldLittleEndian() throws {
        let header = try #require(WALPageHeader(TestData.walHeader(Self.name, systemIdentifier: 0x0102_0304_0506_0708)))
        #expect(header.magic == 0xD110)
        #expect(header.isLongHeader)
        #expect(header.timeline == 1)
        #expect(header.pageAddress == 3 << 20)
        #expect(header.systemIdentifier == 0x0102_0304_0506_0708)
        #expect(header.segmentSize == 1 << 20)
        #expect(header.blockSize == 8192)
        #expect(WALPageHeader([UInt8](repeating: 0, count: 39)) == nil)
    }

    @Test func aMatchingHeaderIsConsistentAndNamesItsCluster() {
        #expect(check(TestData.walHeader(Self.name)) == .consistent(systemIdentifier: TestData.systemIdentifier))
        // 16 MiB segments, log 0x16: the segment number spans the log/seg split.
        let far = "0000000300000016000000B3"
        #expect(check(TestData.walHeader(far, segmentSize: 16 << 20), far, size: 16 << 20)
            == .consistent(systemIdentifier: TestData.systemIdentifier))
    }

    @Test func aSegmentUnderAnotherNameIsRefused() {
        let other = TestData.walHeader("000000010000000000000004")
        #expect(isMismatch(check(other), mentioning: "another segment"))
        #expect(isMismatch(check(TestData.walHeader(Self.name), "000000010000000100000003"), mentioning: "another segment"))
    }

    @Test func anOlderTimelineIsAcceptedANewerOneRefused() {
        // The first segment of timeline 2 is a copy of timeline 1's segment up to the switch point.
        let copied = TestData.walHeader("000000020000000000000003", timeline: 1)
        #expect(check(copied, "000000020000000000000003") == .consistent(systemIdentifier: TestData.systemIdentifier))
        let newer = TestData.walHeader(Self.name, timeline: 2)
        #expect(isMismatch(check(newer), mentioning: "timeline 2"))
        #expect(isMismatch(check(TestData.walHeader(Self.name, timeline: 0)), mentioning: "timeline 0"))
    }

    @Test func sizesMustAgree() {
        #expect(isMismatch(check(TestData.walHeader(Self.name, segmentSize: 16 << 20)), mentioning: "segments are"))
        #expect(isMismatch(check(TestData.walHeader(Self.name, segmentSize: 3 << 20), size: 3 << 20), mentioning: "segment size"))
        #expect(isMismatch(check(TestData.walHeader(Self.name, blockSize: 8000)), mentioning: "block size"))
        // A .partial is never larger than its segment size.
        let partial = Self.name + ".partial"
        #expect(check(TestData.walHeader(partial, segmentSize: 16 << 20), partial, size: 1 << 20)
            == .consistent(systemIdentifier: TestData.systemIdentifier))
        #expect(isMismatch(check(TestData.walHeader(partial), partial, size: 2 << 20), mentioning: "segments are"))
        // 1 GiB segments: four per log, so segment 5 is no name PostgreSQL writes.
        let tooFar = "000000010000000000000005"
        #expect(isMismatch(check(TestData.walHeader(tooFar, segmentSize: 1 << 30), tooFar, size: 1 << 30),
                           mentioning: "no segment name"))
    }

    @Test func aPageThatIsNoSegmentStartIsRefused() {
        #expect(isMismatch(check(TestData.walHeader(Self.name, info: 0x0001)), mentioning: "long page header"))
        #expect(isMismatch(check([UInt8](repeating: 0, count: 8192)), mentioning: "long page header"))
        #expect(isMismatch(check(Array(TestData.walHeader(Self.name).prefix(20)), size: 20), mentioning: "too short"))
    }

    @Test func anUnknownMagicIsAWarningOnlyWhenTheRestMatches() {
        #expect(check(TestData.walHeader(Self.name, magic: 0xD200))
            == .unknownMagic(0xD200, systemIdentifier: TestData.systemIdentifier))
        #expect(isMismatch(check(TestData.walHeader("000000010000000000000009", magic: 0xD200)), mentioning: "another segment"))
        #expect(WALPageMagic.majorVersion(of: 0xD110) == 15)
    }

    @Test func textFilesHaveNoHeader() {
        #expect(check([], "00000002.history", size: 40) == .notApplicable)
        #expect(check([], "000000010000000000000003.00000028.backup", size: 300) == .notApplicable)
    }
}
