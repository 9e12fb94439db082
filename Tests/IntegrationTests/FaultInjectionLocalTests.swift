import Foundation
import Testing

/// Local faults through the proxy in front of moto: kill -9 in the middle of an upload and of a
/// restore (a rerun then succeeds and leaves nothing behind; the prefetcher's in RestorePrefetchTests), a full filesystem at the restore
/// destination and at the spool, a read-only spool. The filesystems are real: tmpfs mounts.
@Suite("Fault injection (local: kill -9, full disk, read-only spool)", .faultBackend(.moto))
struct FaultInjectionLocalTests {
    static let name = FaultWAL.name(2)

    /// kill -9 while the upload is unanswered: before the store saw it, and after it stored it.
    @Test(arguments: [false, true])
    func killDuringUploadThenRerun(storeHasIt: Bool) async throws {
        let backend = try FaultBackend.shared()
        let ws = try await FaultWorkspace.make(backend, hint: "kill-up")
        defer { ws.cleanup() }
        let segment = try ws.writeSegment(2)
        let request = backend.requests(.upload, bucket: ws.bucket)
        let rule = ws.bucket + "-kill"
        var stall = FaultRule(id: rule, method: request.method, path: request.path, action: .stallHead)
        stall.forward = storeHasIt
        try await backend.proxy.add([stall])
        _ = try await LocalFaults.killWhenFired(ws, rule: rule, tool: "cloud-wal-archive",
                                                [backend.url(ws.bucket), FaultBackend.server, segment.path])
        #expect(try await backend.keys(ws.bucket) == (storeHasIt ? [ws.key(Self.name)] : []))

        // PostgreSQL calls archive_command again for the same segment.
        let rerun = try await ws.archive(segment.path)
        #expect(rerun.status == 0, "rerun after kill -9: \(rerun.summary): \(lastLines(rerun.result.stderr, lines: 3))")
        #expect(rerun.seconds < FaultMatrix.bound)
        #expect(try await backend.keys(ws.bucket) == [ws.key(Self.name)])
        #expect(try await backend.objectData(ws.bucket, ws.key(Self.name)) == segment.data)
        #expect(FaultWorkspace.files(under: ws.walDirectory) == [Self.name], "stray files beside the segment")
    }

    /// kill -9 while the segment's body stalls halfway: nothing at the destination, and the rerun
    /// restores it and leaves no temporary file of the killed run beside it.
    @Test func killDuringRestoreThenRerun() async throws {
        let backend = try FaultBackend.shared()
        let ws = try await FaultWorkspace.make(backend, hint: "kill-down")
        defer { ws.cleanup() }
        let stored = try await ws.seed([2, 3])
        let target = try ws.restoreDirectory()
        let rule = ws.bucket + "-kill"
        var stall = FaultRule(id: rule, method: "GET", path: "^/\(ws.bucket)/[^?]*\(Self.name)$", action: .stallMidBody)
        stall.after = 300_000
        try await backend.proxy.add([stall])
        _ = try await LocalFaults.killWhenFired(ws, rule: rule, tool: "cloud-wal-restore",
                                                [backend.url(ws.bucket), FaultBackend.server, Self.name,
                                                 target + "/RECOVERYXLOG"])
        #expect(!FileManager.default.fileExists(atPath: target + "/RECOVERYXLOG"), "a killed restore left RECOVERYXLOG")

        let rerun = try await ws.restore(Self.name, into: target)
        #expect(rerun.status == 0, "rerun after kill -9: \(rerun.summary): \(lastLines(rerun.result.stderr, lines: 3))")
        #expect(fileData(target + "/RECOVERYXLOG") == stored[Self.name])
        #expect(FaultWorkspace.files(under: target) == ["RECOVERYXLOG"],
                "left beside the destination: \(FaultWorkspace.files(under: target))")
    }

    // kill -9 of the background prefetcher: RestorePrefetchTests.aKilledPrefetcherLeavesNothingALaterCallHandsOver.

    /// The destination's filesystem is full (512 KiB for a 1 MiB segment): exit 4 (255 in
    /// targeted recovery), nothing left there, never "not found".
    @Test(arguments: [false, true])
    func fullDestination(inRecovery: Bool) async throws {
        let backend = try FaultBackend.shared()
        let ws = try await FaultWorkspace.make(backend, hint: "full-dest")
        defer { ws.cleanup() }
        _ = try await ws.seed([2])
        var dataDirectory: String?
        if inRecovery {
            let directory = try ws.restoreDirectory()
            FileManager.default.createFile(atPath: directory + "/recovery.signal", contents: Data())
            dataDirectory = directory
        }
        try await LocalFaults.withTmpfs(ws, kibibytes: 512) { mount in
            let run = try await ws.restore(Self.name, into: mount, workingDirectory: dataDirectory)
            #expect(run.status == (inRecovery ? 255 : 4), "full destination: \(run.summary): \(lastLines(run.result.stderr, lines: 3))")
            #expect(run.seconds < FaultMatrix.bound)
            #expect(FaultWorkspace.files(under: mount).isEmpty, "left on the full filesystem: \(FaultWorkspace.files(under: mount))")
        }
    }

    /// The spool's filesystem holds one and a half segments: the requested one is still restored,
    /// and the spool holds only complete segments.
    @Test func fullSpool() async throws {
        let backend = try FaultBackend.shared()
        let ws = try await FaultWorkspace.make(backend, hint: "full-spool")
        defer { ws.cleanup() }
        let stored = try await ws.seed([2, 3, 4, 5])
        let target = try ws.restoreDirectory()
        try await LocalFaults.withTmpfs(ws, kibibytes: 1536) { spool in
            let run = try await ws.restore(Self.name, into: target, parallel: 4, spool: spool)
            #expect(run.status == 0, "full spool: \(run.summary): \(lastLines(run.result.stderr, lines: 3))")
            #expect(fileData(target + "/RECOVERYXLOG") == stored[Self.name])
            // The background prefetcher meets the full disk, gives up and ends (it must, before the unmount).
            let folder = try PrefetchSpool.folder(under: spool)
            try await PrefetchSpool.waitForPrefetcherExit(folder)
            for file in FaultWorkspace.files(under: spool) where !PrefetchSpool.bookkeeping.contains((file as NSString).lastPathComponent) {
                let base = (file as NSString).lastPathComponent
                #expect(stored[base] != nil && fileData(spool + "/" + file) == stored[base],
                        "the full spool holds \(file), not a complete archived segment")
            }
        }
    }

    /// A read-only spool (a read-only mount: root ignores mode bits) costs only the prefetch.
    @Test func readOnlySpool() async throws {
        let backend = try FaultBackend.shared()
        let ws = try await FaultWorkspace.make(backend, hint: "ro-spool")
        defer { ws.cleanup() }
        let stored = try await ws.seed([2, 3, 4])
        let target = try ws.restoreDirectory()
        try await LocalFaults.withTmpfs(ws, kibibytes: 4096, readOnly: true) { spool in
            let run = try await ws.restore(Self.name, into: target, parallel: 3, spool: spool)
            #expect(run.status == 0, "read-only spool: \(run.summary): \(lastLines(run.result.stderr, lines: 3))")
            #expect(fileData(target + "/RECOVERYXLOG") == stored[Self.name])
            #expect(FaultWorkspace.files(under: target) == ["RECOVERYXLOG"])
            #expect(FaultWorkspace.files(under: spool).isEmpty)
        }
    }
}
