import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A restore killed with SIGKILL mid-download leaves its temporary file beside `%p`; the next
/// run removes it, and nothing else. The slow source is real: a 1 GiB segment (the largest
/// `initdb --wal-segsize`) stored gzip-compressed on file://, whose restore takes long enough to
/// be caught in flight.
@Suite("Leftovers of killed runs", .serialized)
struct LeftoverCleanupTests {
    static let big = "000000010000000000000001"
    static let small = "000000010000000000000002"

    @Test func aKilledRestoreIsCleanedUpByTheNextRun() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let dir = try TempDirectory.make(prefix: "cloudwal-leftover", ownedByServer: false)
        defer { dir.remove() }
        let url = "file://\(dir.path)/archive"
        let pgWAL = try dir.subdirectory("pg_wal", ownedByServer: false)
        _ = try dir.subdirectory("archive", ownedByServer: false)
        let restoreDir = try dir.subdirectory("restore", ownedByServer: false)

        // 1 GiB of zeros behind a valid header (sparse: cheap to create and to read).
        let bigPath = pgWAL + "/" + Self.big
        try Data(WALSegmentHeader.bytes(for: Self.big, segmentSize: 1 << 30)).write(to: URL(fileURLWithPath: bigPath))
        guard truncate(bigPath, 1 << 30) == 0 else { throw HarnessError("truncate failed: errno \(errno)") }
        let archivedBig = try await binary.run([url, "pg1", bigPath, "--gzip"], as: "cloud-wal-archive", timeout: .seconds(600))
        try #require(archivedBig.status == 0, "\(archivedBig.stderr)")
        let smallBytes = WALFixture.segmentBytes(Self.small, seed: 3)
        let smallPath = pgWAL + "/" + Self.small
        try smallBytes.write(to: URL(fileURLWithPath: smallPath))
        let archivedSmall = try await binary.run([url, "pg1", smallPath], as: "cloud-wal-archive")
        try #require(archivedSmall.status == 0, "\(archivedSmall.stderr)")

        // Files the sweep must leave alone: not ours, and ours but of a live writer.
        let decoys = [".keep", "RECOVERYHISTORY", ".RECOVERYXLOG.cloud-wal-tmp.\(getpid()).\(Int(time(nil))).live"]
        for name in decoys { FileManager.default.createFile(atPath: restoreDir + "/" + name, contents: Data([1])) }

        let dest = restoreDir + "/RECOVERYXLOG"
        let out = dir.path + "/restore.out"
        FileManager.default.createFile(atPath: out, contents: nil)
        let pid = try ProcessRunner.spawn(
            [binary.restoreCommand, url, "pg1", Self.big, dest], environment: ProcessInfo.processInfo.environment,
            stdout: out, stderr: nil)
        let prefix = ".RECOVERYXLOG.cloud-wal-tmp.\(pid)."
        let deadline = ContinuousClock.now + .seconds(120)
        var leftover: String?
        while leftover == nil, ContinuousClock.now < deadline {
            leftover = try FileManager.default.contentsOfDirectory(atPath: restoreDir).first { $0.hasPrefix(prefix) }
            if leftover == nil { usleep(2_000) }
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        let temporary = try #require(leftover, "the restore never created its temporary file")
        #expect(status & 0x7f == SIGKILL, "the restore ended before it was killed (status \(status))")
        #expect(FileManager.default.fileExists(atPath: restoreDir + "/" + temporary))
        #expect(!FileManager.default.fileExists(atPath: dest), "a killed restore must not leave %p")

        let next = try await binary.run([url, "pg1", Self.small, dest], as: "cloud-wal-restore")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(FileManager.default.contents(atPath: dest) == smallBytes)
        let left = try FileManager.default.contentsOfDirectory(atPath: restoreDir).sorted()
        #expect(left == (decoys + ["RECOVERYXLOG"]).sorted(), "\(left)")
    }
}
