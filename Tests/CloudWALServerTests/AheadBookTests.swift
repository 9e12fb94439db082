import CloudWAL
import CloudWALServer
import Testing

/// The look-ahead watcher's decisions, without files, store or clock: what it starts, what it
/// leaves to PostgreSQL, and that its memory stays bounded by what is marked ready.
@Suite("Archive-ahead decisions")
struct AheadBookTests {
    static func wal(_ segment: Int, timeline: Int = 1) -> WALFileName {
        func hex8(_ value: Int) -> String {
            let hex = String(value, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
        }
        let name = hex8(timeline) + hex8(0) + hex8(segment)
        guard let wal = WALFileName(name) else { preconditionFailure("bad test name \(name)") }
        return wal
    }

    static func ready(_ segments: ClosedRange<Int>) -> [WALFileName] { segments.map { wal($0) } }
    static func names(_ wals: [WALFileName]) -> [String] { wals.map(\.name) }

    let now = ContinuousClock.now

    @Test func startsTheOldestReadySegmentsUpToTheConcurrency() {
        var book = AheadBook(concurrency: 3)
        let chosen = book.choose(ready: Self.ready(1...6), recorded: [], busy: [], now: now)
        #expect(Self.names(chosen) == Self.names(Self.ready(1...3)))
        #expect(book.inFlight == Set(Self.names(Self.ready(1...3))))
        // All slots taken: nothing more until one ends.
        #expect(book.choose(ready: Self.ready(1...6), recorded: [], busy: [], now: now).isEmpty)
        book.finished(Self.wal(2).name, .stored, now: now)
        #expect(Self.names(book.choose(ready: Self.ready(1...6), recorded: [], busy: [], now: now)) == [Self.wal(4).name])
    }

    @Test func leavesAloneWhatIsBusyRecordedOrAskedForByPostgreSQL() {
        var book = AheadBook(concurrency: 8)
        book.settle(Self.wal(3).name)
        let chosen = book.choose(
            ready: Self.ready(1...6), recorded: [Self.wal(2).name], busy: [Self.wal(1).name], now: now)
        #expect(Self.names(chosen) == [Self.wal(4).name, Self.wal(5).name, Self.wal(6).name])
    }

    @Test func neverPushesASegmentAgainWhileItIsStillMarkedReady() {
        var book = AheadBook(concurrency: 2)
        #expect(Self.names(book.choose(ready: Self.ready(1...1), recorded: [], busy: [], now: now)) == [Self.wal(1).name])
        book.finished(Self.wal(1).name, .stored, now: now)
        // PostgreSQL consumed the record but has not renamed `.ready` yet.
        #expect(book.choose(ready: Self.ready(1...1), recorded: [], busy: [], now: now).isEmpty)
        book.finished(Self.wal(9).name, .skipped, now: now)
        #expect(book.settled == [Self.wal(1).name, Self.wal(9).name])
        // Renamed to .done: forgotten, so memory is bounded by the ready list.
        _ = book.choose(ready: Self.ready(2...2), recorded: [], busy: [], now: now)
        #expect(book.settled.isEmpty)
    }

    @Test func aFailurePausesEverythingBrieflyAndTheSegmentLonger() {
        var book = AheadBook(concurrency: 4, retryDelay: .seconds(10), failurePause: .seconds(2))
        _ = book.choose(ready: Self.ready(1...2), recorded: [], busy: [], now: now)
        book.finished(Self.wal(1).name, .failed, now: now)
        book.finished(Self.wal(2).name, .stored, now: now)
        #expect(book.choose(ready: Self.ready(1...4), recorded: [], busy: [], now: now + .seconds(1)).isEmpty)
        let afterPause = book.choose(ready: Self.ready(1...4), recorded: [], busy: [], now: now + .seconds(3))
        #expect(Self.names(afterPause) == [Self.wal(3).name, Self.wal(4).name], "1 waits for its retry, 2 is done")
        book.finished(Self.wal(3).name, .stored, now: now + .seconds(3))
        book.finished(Self.wal(4).name, .stored, now: now + .seconds(3))
        #expect(Self.names(book.choose(ready: Self.ready(1...4), recorded: [], busy: [], now: now + .seconds(11)))
            == [Self.wal(1).name])
    }

    @Test func aRetryIsForgottenOncePostgreSQLArchivedTheSegment() {
        var book = AheadBook(concurrency: 1, retryDelay: .seconds(10), failurePause: .zero)
        _ = book.choose(ready: Self.ready(1...1), recorded: [], busy: [], now: now)
        book.finished(Self.wal(1).name, .failed, now: now)
        _ = book.choose(ready: Self.ready(2...2), recorded: [], busy: [], now: now + .seconds(1))
        #expect(book.retryAt.isEmpty)
    }

    @Test func notStartedBecausePostgreSQLPushesItFreesTheSlotOnly() {
        var book = AheadBook(concurrency: 1)
        _ = book.choose(ready: Self.ready(1...2), recorded: [], busy: [], now: now)
        book.finished(Self.wal(1).name, .notStarted, now: now)
        #expect(book.inFlight.isEmpty)
        #expect(book.settled.isEmpty)
        // Still PostgreSQL's upload: busy, so the next one is taken.
        #expect(Self.names(book.choose(ready: Self.ready(1...2), recorded: [], busy: [Self.wal(1).name], now: now))
            == [Self.wal(2).name])
    }

    @Test func zeroConcurrencyStartsNothing() {
        var book = AheadBook(concurrency: 0)
        #expect(book.choose(ready: Self.ready(1...4), recorded: [], busy: [], now: now).isEmpty)
    }
}
