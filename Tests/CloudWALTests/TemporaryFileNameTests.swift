import CloudWAL
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The one temporary-file pattern, and the sweep that removes only abandoned files of it.
@Suite("Temporary file names and leftovers")
struct TemporaryFileNameTests {
    @Test func siblingsParseBackToTheirTargetAndWriter() throws {
        let path = TemporaryFileName.sibling(of: "/srv/pg_wal/RECOVERYXLOG")
        #expect(FileSystemOps.directory(of: path) == "/srv/pg_wal")
        let parsed = try #require(TemporaryFileName(parsing: FileSystemOps.baseName(of: path)))
        #expect(parsed.target == "RECOVERYXLOG")
        #expect(parsed.pid == getpid())
        #expect(abs(parsed.createdAt - Int(time(nil))) < 600)
        // Targets with dots (the file store's `.NAME.meta`) keep them.
        let meta = FileSystemOps.baseName(of: FileSystemOps.temporarySibling(of: "/a/.000000010000000000000001.meta"))
        #expect(TemporaryFileName(parsing: meta)?.target == ".000000010000000000000001.meta")
    }

    @Test(arguments: [
        "RECOVERYXLOG", ".RECOVERYXLOG", ".000000010000000000000001.meta", ".x.cloud-wal-tmp.12.34",
        ".x.cloud-wal-tmp.abc.34.z", ".x.cloud-wal-tmp.12.34.", ".x.other.12.34.z", ".cloud-wal-tmp.12.34.z",
        ".x.cloud-wal-tmp.12.34.Z!", "x.cloud-wal-tmp.12.34.z",
    ])
    func otherNamesAreNotOurs(name: String) {
        #expect(TemporaryFileName(parsing: name) == nil)
    }

    @Test func onlyAbandonedFilesOfOurPatternAreRemoved() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let now = Int(time(nil))
        // A pid that is certainly gone: a child we started and reaped.
        let dead = try Self.reapedPid()
        let deadFile = ".RECOVERYXLOG.cloud-wal-tmp.\(dead).\(now).abc"
        let oldFile = ".RECOVERYXLOG.cloud-wal-tmp.\(getpid()).\(now - 7200).abd"
        let liveFile = ".RECOVERYXLOG.cloud-wal-tmp.\(getpid()).\(now).abe"
        // What restore named its temporary files before this pattern, from a dead and a live pid.
        let legacyDead = ".RECOVERYXLOG.cloud-wal.\(dead).abc"
        let legacyLive = ".RECOVERYXLOG.cloud-wal.\(getpid()).abc"
        let others = ["000000010000000000000001", ".keep", ".RECOVERYXLOG.other.\(dead).abc", legacyLive]
        for name in [deadFile, oldFile, liveFile, legacyDead] + others { _ = try dir.write([1, 2, 3], to: name) }
        // A directory and a symlink named like ours are never touched.
        let dirLike = ".d.cloud-wal-tmp.\(dead).\(now).abf"
        try FileManager.default.createDirectory(atPath: dir.path + "/" + dirLike, withIntermediateDirectories: false)
        let linkLike = ".l.cloud-wal-tmp.\(dead).\(now).abg"
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/" + linkLike, withDestinationPath: "/etc/hostname")

        let removed = TemporaryFileName.removeAbandoned(in: dir.path, maxAge: 3600)
        #expect(removed.sorted() == [deadFile, oldFile, legacyDead].sorted())
        let left = try FileSystemOps.contents(of: dir.path).map(\.name).sorted()
        #expect(left == ([liveFile, dirLike, linkLike] + others).sorted())
        #expect(TemporaryFileName.removeAbandoned(in: dir.path + "/missing").isEmpty)
    }

    static func reapedPid() throws -> Int32 {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, "/bin/true", nil, nil, argv, environ) == 0 else {
            throw CocoaError(.featureUnsupported)
        }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        return pid
    }
}
