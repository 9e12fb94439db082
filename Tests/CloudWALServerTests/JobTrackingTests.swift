import CloudWAL
import CloudWALServer
import Testing

/// A backup runner the test releases by hand, so "one is running" is a state, not a race.
actor GatedBackupRunner: BaseBackupRunner {
    private var gates: [CheckedContinuation<Void, Never>] = []
    private(set) var calls: [String?] = []
    let fail: Bool

    init(fail: Bool = false) { self.fail = fail }

    func runBackup(name: String?) async throws -> BackupRunResult {
        calls.append(name)
        await withCheckedContinuation { gates.append($0) }
        if fail { throw WALError(.storage(.unreachable), "storage went away") }
        return BackupRunResult(backupID: "20261122T000000", status: "DONE", beginWAL: "000000010000000000000002",
                               endWAL: "000000010000000000000003")
    }

    func waitForCall(_ count: Int) async {
        while calls.count < count || gates.isEmpty { await Task.yield() }
    }

    func release() {
        for gate in gates { gate.resume() }
        gates.removeAll()
    }
}

@Suite("Base backup job tracking")
struct JobTrackingTests {
    @Test func oneBackupAtATimeAndResultsArePollable() async throws {
        let runner = GatedBackupRunner()
        let tracker = BackupJobTracker(runner: runner)
        let first = try await tracker.start(name: "nightly")
        #expect(first.state == .running)
        await runner.waitForCall(1)

        let second = await #expect(throws: BackupJobTracker.AlreadyRunning.self) { try await tracker.start(name: nil) }
        #expect(second?.running.id == first.id)
        #expect(await runner.calls.count == 1, "a refused start must not run a backup")

        await runner.release()
        let done = try #require(await tracker.wait(for: first.id))
        #expect(done.state == .done)
        #expect(done.result?.backupID == "20261122T000000")
        #expect(done.finishedAt != nil)
        #expect(await tracker.job(first.id)?.state == .done)

        // Finished: the next one may start, and gets its own id.
        let third = try await tracker.start(name: nil)
        #expect(third.id != first.id)
        await runner.waitForCall(2)
        await runner.release()
        #expect(await tracker.wait(for: third.id)?.state == .done)
        #expect(await tracker.all.map(\.id) == [first.id, third.id])
        #expect(await tracker.wait(for: "nope") == nil)
    }

    @Test func aThrowingRunnerMarksTheJobFailed() async throws {
        let runner = GatedBackupRunner(fail: true)
        let tracker = BackupJobTracker(runner: runner)
        let job = try await tracker.start(name: nil)
        await runner.waitForCall(1)
        await runner.release()
        let finished = try #require(await tracker.wait(for: job.id))
        #expect(finished.state == .failed)
        #expect(finished.error == "storage went away")
    }
}

@Suite("Single flight per segment")
struct SingleFlightTests {
    actor Counter {
        var value = 0
        func increment() -> Int {
            value += 1
            return value
        }
    }

    @Test func concurrentCallersShareOneRun() async throws {
        let flights = SingleFlight<Int>()
        let counter = Counter()
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await flights.run("seg") {
                        try await Task.sleep(for: .milliseconds(200))
                        return await counter.increment()
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(await counter.value == 1)
        #expect(results.allSatisfy { $0.0 == 1 })
        #expect(results.filter { !$0.1 }.count == 1, "exactly one caller started it")
        #expect(await flights.keys.isEmpty)

        // Done: the next call runs again; another key runs on its own.
        _ = try await flights.run("seg") { await counter.increment() }
        _ = try await flights.run("other") { await counter.increment() }
        #expect(await counter.value == 3)
    }

    @Test func everyWaiterSeesTheFailure() async {
        struct Boom: Error {}
        let flights = SingleFlight<Int>()
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    do {
                        _ = try await flights.run("k") {
                            try await Task.sleep(for: .milliseconds(100))
                            throw Boom()
                        }
                        return false
                    } catch {
                        return error is Boom
                    }
                }
            }
            for await sawFailure in group { #expect(sawFailure) }
        }
    }
}
