import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs one cell of the fault matrix and checks what the target behaviour promises: the exit
/// status, an end within a generous bound, the store's final state (no object, or exactly one
/// that restores byte-identical), no partial or stray file at the destination or in the spool,
/// and that the fault really fired.
enum FaultMatrix {
    /// What went wrong in one scenario (collected, so the matrix row can say PASS or why not).
    struct Verdict {
        private(set) var problems: [String] = []
        mutating func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { problems.append(message()) }
        }
    }

    /// Every command must end within this (with `--read-timeout 3` and five attempts, a stall on
    /// every attempt costs about 15 s plus backoff; a loaded 2-core machine gets four times that).
    static let bound = 60.0

    static func check(_ scenario: FaultScenario, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let backend = try FaultBackend.shared()
        try await backend.gate.run {
            let ws = try await FaultWorkspace.make(backend, hint: scenario.fault.target.rawValue)
            defer { ws.cleanup() }
            var verdict = Verdict()
            let outcome: String
            switch scenario.command {
            case .archive: outcome = try await archive(scenario, ws, &verdict)
            case .restore, .restoreParallel, .restoreInRecovery: outcome = try await restore(scenario, ws, &verdict)
            case .backupList: outcome = try await backupList(scenario, ws, &verdict)
            }
            record(scenario, outcome, verdict)
            for problem in verdict.problems {
                Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
            }
        }
    }

    /// Adds the scenario's rule for this workspace's bucket.
    private static func inject(_ scenario: FaultScenario, _ ws: FaultWorkspace) async throws -> String {
        let id = ws.bucket + "-" + scenario.fault.action.rawValue
        let request = ws.backend.requests(scenario.fault.target, bucket: ws.bucket)
        try await ws.backend.proxy.add([scenario.fault.rule(id: id, method: request.method, path: request.path)])
        return id
    }

    private static func expectFired(_ rule: String, _ ws: FaultWorkspace, _ scenario: FaultScenario,
                                    _ v: inout Verdict) async throws {
        let fired = try await ws.backend.proxy.events(rule: rule).filter { $0.action != "stall_ended" }
        v.check(!fired.isEmpty, "\(scenario.testDescription): the fault never fired (no matching request)")
    }

    private static func expectStatusAndTime(_ run: FaultWorkspace.Run, _ scenario: FaultScenario,
                                            allowed: Set<Int32>? = nil, _ v: inout Verdict) {
        let allowed = allowed ?? [scenario.expectedStatus]
        v.check(!run.result.timedOut && run.seconds < bound,
                "\(scenario.testDescription) on \(scenario.backend): \(run.summary), bound \(Int(bound)) s")
        v.check(allowed.contains(run.status),
                "\(scenario.testDescription) on \(scenario.backend): \(run.summary), expected \(allowed.sorted()): \(lastLines(run.result.stderr, lines: 3))")
    }

    // MARK: - wal-archive

    private static func archive(_ scenario: FaultScenario, _ ws: FaultWorkspace, _ v: inout Verdict) async throws -> String {
        let segment = try ws.writeSegment(2)
        let name = FaultWAL.name(2)
        let rule = try await inject(scenario, ws)
        let run = try await ws.archive(segment.path)
        try await expectFired(rule, ws, scenario, &v)
        expectStatusAndTime(run, scenario, &v)

        // The store: exactly the one object (byte-identical) after success; after a failure
        // nothing, or the one object the store accepted before the fault.
        let keys = try await ws.backend.keys(ws.bucket)
        if run.status == 0 {
            v.check(keys == [ws.key(name)], "\(scenario.testDescription): stored \(keys) after success")
        } else {
            v.check(keys.isEmpty || (scenario.fault.storeSeesIt && keys == [ws.key(name)]),
                    "\(scenario.testDescription): stored \(keys) after \(run.summary)")
        }
        if keys == [ws.key(name)] {
            let stored = try await ws.backend.objectData(ws.bucket, ws.key(name))
            v.check(stored == segment.data, "\(scenario.testDescription): the stored object differs from the segment")
            // It restores (straight from the store) and verifies.
            let target = try ws.restoreDirectory()
            let restored = try await ws.restore(name, into: target, proxied: false)
            v.check(restored.status == 0, "\(scenario.testDescription): the stored object does not restore: \(restored.summary)")
            v.check(fileData(target + "/RECOVERYXLOG") == segment.data, "\(scenario.testDescription): the stored object restores to other bytes")
        }
        // pg_wal holds the segment and nothing else.
        v.check(FaultWorkspace.files(under: ws.walDirectory) == [name],
                "\(scenario.testDescription): stray files in pg_wal: \(FaultWorkspace.files(under: ws.walDirectory))")
        return run.summary + (keys.isEmpty ? ", no object" : ", 1 object")
    }

    // MARK: - wal-restore

    private static func restore(_ scenario: FaultScenario, _ ws: FaultWorkspace, _ v: inout Verdict) async throws -> String {
        let stored = try await ws.seed([2, 3, 4, 5])
        let name = FaultWAL.name(2)
        let target = try ws.restoreDirectory()
        var workingDirectory: String?
        if scenario.command == .restoreInRecovery {
            // As PostgreSQL runs it during targeted recovery: in the data directory, recovery.signal there.
            let dataDirectory = try ws.restoreDirectory()
            FileManager.default.createFile(atPath: dataDirectory + "/recovery.signal", contents: Data())
            workingDirectory = dataDirectory
        }
        let rule = try await inject(scenario, ws)
        let run = try await ws.restore(name, into: target, parallel: scenario.command == .restoreParallel ? 4 : nil,
                                       workingDirectory: workingDirectory)
        try await expectFired(rule, ws, scenario, &v)
        var allowed: Set<Int32> = [scenario.expectedStatus]
        if scenario.fault.mayRefuseAsCorrupt { allowed.insert(4) }
        expectStatusAndTime(run, scenario, allowed: allowed, &v)

        // The destination: the complete verified segment after success, nothing at all otherwise.
        let present = FaultWorkspace.files(under: target)
        if run.status == 0 {
            v.check(present == ["RECOVERYXLOG"], "\(scenario.testDescription): destination holds \(present)")
            v.check(fileData(target + "/RECOVERYXLOG") == stored[name],
                    "\(scenario.testDescription): restored bytes differ from the archived segment")
        } else {
            v.check(present.isEmpty, "\(scenario.testDescription): \(run.summary) left \(present) at the destination")
        }
        // The spool: only complete segments that were archived, under their own names, once the
        // background prefetcher the call may have started has ended (it honours --read-timeout).
        if let folder = try? PrefetchSpool.folder(under: ws.spoolDirectory) {
            try await PrefetchSpool.waitForPrefetcherExit(folder)
        }
        for file in FaultWorkspace.files(under: ws.spoolDirectory)
        where !PrefetchSpool.bookkeeping.contains((file as NSString).lastPathComponent) {
            let base = (file as NSString).lastPathComponent
            v.check(stored[base] != nil && fileData(ws.spoolDirectory + "/" + file) == stored[base],
                    "\(scenario.testDescription): the spool holds \(file), which is not a complete archived segment")
        }
        return run.summary
    }

    // MARK: - backup-list

    private static func backupList(_ scenario: FaultScenario, _ ws: FaultWorkspace, _ v: inout Verdict) async throws -> String {
        _ = try await ws.seed([2])
        let baseline = try await ws.backupList(proxied: false)
        guard baseline.status == 0 else { throw HarnessError( "backup-list without faults: \(baseline.summary): \(lastLines(baseline.result.stderr, lines: 3))") }
        let rule = try await inject(scenario, ws)
        let run = try await ws.backupList()
        try await expectFired(rule, ws, scenario, &v)
        expectStatusAndTime(run, scenario, &v)
        if run.status == 0 {
            v.check(run.result.stdout == baseline.result.stdout, "\(scenario.testDescription): the listing differs")
        }
        return run.summary
    }

    // MARK: - The matrix as a table

    /// Appends `backend | command | fault | outcome` to `$CLOUD_WAL_FAULT_MATRIX` when set, so a
    /// run can print the README's matrix. One write per line (O_APPEND keeps lines whole).
    private static func record(_ scenario: FaultScenario, _ outcome: String, _ verdict: Verdict) {
        guard let path = ProcessInfo.processInfo.environment["CLOUD_WAL_FAULT_MATRIX"], !path.isEmpty else { return }
        let problems = verdict.problems.map { $0.split(separator: "\n").first.map(String.init) ?? "" }
        let line = "\(scenario.backend.rawValue)\t\(scenario.command.rawValue)\t\(scenario.fault.target.rawValue)\t"
            + "\(scenario.fault.name)\texpected \(scenario.expectedStatus)\(scenario.fault.mayRefuseAsCorrupt ? " or 4" : "")\t\(outcome)\t"
            + (problems.isEmpty ? "PASS" : "FAIL: " + problems.joined(separator: " | ")) + "\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = Array(line.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
