import CloudWAL
import Testing

/// The restore prefetch's bookkeeping as values: segment order, the window after the newest
/// request, what to fetch and what to remove, and the request record's format. No I/O.
@Suite("Prefetch window and bookkeeping")
struct PrefetchWindowTests {
    static let mib16 = 16 << 20

    func wal(_ name: String) throws -> WALFileName { try #require(WALFileName(name)) }

    func sequence(_ size: Int) throws -> WALSegmentSequence { try #require(WALSegmentSequence(segmentSize: size)) }

    @Test func theNextSegmentDependsOnTheSegmentSize() throws {
        let last16 = try wal("0000000100000000000000FF")
        #expect(try sequence(Self.mib16).segments(after: last16, count: 2).map(\.name)
            == ["000000010000000100000000", "000000010000000100000001"])
        #expect(try sequence(1 << 20).segments(after: last16, count: 1).map(\.name) == ["000000010000000000000100"])
        #expect(try sequence(1 << 30).segments(after: try wal("000000020000000A00000003"), count: 1).map(\.name)
            == ["000000020000000B00000000"])
        // A segment number the size cannot have, a history file, a size PostgreSQL cannot have.
        #expect(try sequence(1 << 30).segments(after: try wal("000000010000000000000004"), count: 3).isEmpty)
        #expect(try sequence(Self.mib16).segments(after: try wal("00000002.history"), count: 3).isEmpty)
        #expect(WALSegmentSequence(segmentSize: 3 << 20) == nil)
        #expect(WALSegmentSequence(segmentSize: 1 << 31) == nil)
        // The very end of the address space: nothing after it, no wrap to zero.
        #expect(try sequence(Self.mib16).segments(after: try wal("00000001FFFFFFFF000000FF"), count: 3).isEmpty)
        #expect(try sequence(Self.mib16).number(of: try wal("000000010000000100000002")) == 258)
    }

    @Test func theWindowFollowsTheNewestRequestOnItsTimeline() throws {
        let window = PrefetchWindow(newest: try wal("0000000300000000000000FE"), sequence: try sequence(Self.mib16), depth: 3)
        #expect(window.wanted.map(\.name)
            == ["0000000300000000000000FF", "000000030000000100000000", "000000030000000100000001"])
        #expect(window.keeps("0000000300000000000000FE"), "the newest request may be moving out right now")
        #expect(window.keeps("000000030000000100000001"))
        #expect(!window.keeps("0000000300000000000000FD"), "older than the newest request")
        #expect(!window.keeps("0000000200000000000000FF"), "another timeline's segment of the same number")
        #expect(!window.keeps("000000030000000100000002"), "beyond the window")
    }

    @Test func thePlanFetchesWhatIsMissingWithinTheLimitAndRemovesWhatIsOutside() throws {
        let window = PrefetchWindow(newest: try wal("000000010000000000000010"), sequence: try sequence(Self.mib16), depth: 5)
        let plan = window.plan(
            spooled: ["000000010000000000000011", "00000001000000000000000F", "000000020000000000000012",
                      "000000010000000000000010"],
            inFlight: ["000000010000000000000012"], limit: 3)
        // 11 is there, 12 is on its way (and counts against the limit), so 13 and 14 start.
        #expect(plan.fetch == ["000000010000000000000013", "000000010000000000000014"])
        #expect(plan.remove == ["00000001000000000000000F", "000000020000000000000012"])

        let skipping = window.plan(spooled: [], inFlight: [], skipped: ["000000010000000000000011"], limit: 2)
        #expect(skipping.fetch == ["000000010000000000000012", "000000010000000000000013"])

        // The end of the archive: nothing at or after the missing segment is fetched.
        let atEnd = window.plan(spooled: [], inFlight: [], end: try wal("000000010000000000000013"), limit: 5)
        #expect(atEnd.fetch == ["000000010000000000000011", "000000010000000000000012"])
        // A missing segment of another timeline says nothing about this one.
        let otherEnd = window.plan(spooled: [], inFlight: [], end: try wal("000000020000000000000012"), limit: 5)
        #expect(otherEnd.fetch.count == 5)
        #expect(window.plan(spooled: [], inFlight: [], limit: 0).fetch.isEmpty)
    }

    @Test func completeMeansEveryWantedSegmentIsSpooled() throws {
        let window = PrefetchWindow(newest: try wal("000000010000000000000001"), sequence: try sequence(1 << 20), depth: 2)
        #expect(!window.isComplete(spooled: ["000000010000000000000002"]))
        #expect(window.isComplete(spooled: ["000000010000000000000002", "000000010000000000000003"]))
        #expect(PrefetchWindow(newest: try wal("000000010000000000000001"), sequence: try sequence(1 << 20), depth: 0)
            .isComplete(spooled: []))
    }

    @Test func theRequestRecordRoundTripsAndRefusesAnythingElse() throws {
        let request = try #require(SpoolRequest(wal: try wal("00000001000000000000002A"), segmentSize: Self.mib16))
        #expect(request.text == "00000001000000000000002A 16777216\n")
        #expect(SpoolRequest(parsing: request.text) == request)
        #expect(SpoolRequest(parsing: "00000001000000000000002A 16777216") == request)
        #expect(request.window(depth: 1)?.wanted.map(\.name) == ["00000001000000000000002B"])
        for text in ["", "\n", "garbage", "00000001000000000000002A", "00000001000000000000002A 12345\n",
                     "00000001000000000000002A.partial 16777216\n", "00000002.history 16777216\n",
                     "00000001000000000000002A 16777216\nsecond line\n", "00000001000000000000002A  16777216\n"] {
            #expect(SpoolRequest(parsing: text) == nil, "accepted \(text.debugDescription)")
        }
        #expect(SpoolRequest(wal: try wal("00000001000000000000002A"), segmentSize: 1000) == nil)
    }
}
