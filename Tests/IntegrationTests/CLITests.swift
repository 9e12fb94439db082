import Foundation
import Testing

/// The binary's contract as PostgreSQL and operators see it: argv[0] dispatch, exit statuses,
/// one-line errors. Runs the built `cloud-wal` like `archive_command` would.
@Suite("cloud-wal command line", .serialized)
struct CLITests {
    static let segment = "000000010000000000000002"

    struct Fixture {
        let binary: TestBinary
        let dir: TempDirectory
        var archiveURL: String { "file://\(dir.path)/archive" }

        init() throws {
            binary = try TestBinary.prepare()
            dir = try TempDirectory.make(prefix: "cloudwal-cli", ownedByServer: false)
            try FileManager.default.createDirectory(atPath: dir.path + "/archive", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir.path + "/pg_wal", withIntermediateDirectories: true)
        }

        func cleanup() {
            binary.cleanup()
            dir.remove()
        }

        /// Writes a 1 MiB segment (the smallest size initdb allows) with content from `seed`.
        @discardableResult
        func writeSegment(_ name: String = CLITests.segment, seed: UInt8 = 1, in folder: String = "pg_wal") throws -> String {
            let path = "\(dir.path)/\(folder)/\(name)"
            try FileManager.default.createDirectory(atPath: "\(dir.path)/\(folder)", withIntermediateDirectories: true)
            let bytes = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 / 4096) &+ seed }
            try WALSegmentHeader.stamped(Data(bytes), as: name).write(to: URL(fileURLWithPath: path))
            return path
        }

        func archive(_ args: [String], as name: String = "cloud-wal-archive") async throws -> ProcessResult {
            try await binary.run(args, as: name)
        }
    }

    @Test func versionAndHelpExitZeroWithoutArguments() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        let version = try await fx.archive(["-V"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("cloud-wal-archive "))
        let help = try await fx.archive(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--max-single-put-size"))
        let restoreHelp = try await fx.binary.run(["--help"], as: "cloud-wal-restore")
        #expect(restoreHelp.stdout.contains("--no-partial"))
    }

    @Test(arguments: [
        ["--bogus"],
        ["--gzip", "--zstd"],
        ["--tag", "aws:reserved,x"],
        ["--tag", "k$,v"],
        ["--tag", "a,b", "--tags", "c,d"],
        ["--sse-kms-key-id", "key"],
        ["-e", "AES256", "--sse-kms-key-id", "key"],
        ["-e", "rot13"],
        ["--compression-level", "fastest"],
        ["--max-block-size", "4XB"],
        ["--cloud-provider", "ibm"],
        ["--read-timeout", "0"],
    ])
    func badOptionsExitThreeWithOneLine(extra: [String]) async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        let wal = try fx.writeSegment()
        let result = try await fx.archive([fx.archiveURL, "pg1", wal] + extra)
        #expect(result.status == 3, "\(extra): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fx.dir.path + "/archive").isEmpty)
    }

    @Test func archiveExitStatuses() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        let wal = try fx.writeSegment()
        // Not a WAL name: 3, before anything is read or written.
        let junk = fx.dir.path + "/pg_wal/postmaster.pid"
        FileManager.default.createFile(atPath: junk, contents: Data("1".utf8))
        #expect(try await fx.archive([fx.archiveURL, "pg1", junk]).status == 3)
        // Missing file: 1, naming the file.
        let missing = try await fx.archive([fx.archiveURL, "pg1", fx.dir.path + "/pg_wal/000000010000000000000009"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("000000010000000000000009"))
        // Missing WAL_PATH without -t: input error.
        #expect(try await fx.archive([fx.archiveURL, "pg1"]).status == 3)
        // Archive, then again (same content: 0 with a warning), then different content: 1.
        let first = try await fx.archive(["--zstd", fx.archiveURL, "pg1", wal])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.isEmpty)
        let again = try await fx.archive([fx.archiveURL, "pg1", wal])
        #expect(again.status == 0)
        #expect(again.stderr.contains("WARNING"))
        let other = try fx.writeSegment(seed: 9, in: "other")
        let conflict = try await fx.archive([fx.archiveURL, "pg1", other])
        #expect(conflict.status == 1)
        #expect(conflict.stderr.contains("different content"))
        let stored = fx.dir.path + "/archive/pg1/wals/0000000100000000/\(Self.segment).zst"
        #expect(FileManager.default.fileExists(atPath: stored))
        // Storage not configured: a missing archive directory is never created.
        let absent = try await fx.archive(["file://\(fx.dir.path)/absent", "pg1", wal])
        #expect(absent.status == 1)
        #expect(!FileManager.default.fileExists(atPath: fx.dir.path + "/absent"))
        // A URL no backend understands is an input error, not a silent success.
        #expect(try await fx.archive(["ftp://host/p", "pg1", wal]).status == 3)
        #expect(try await fx.archive(["s3://bucket/p", "pg1", wal, "--cloud-provider", "google-cloud-storage"]).status == 3)
    }

    @Test func connectivityTestForBothCommands() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        #expect(try await fx.archive(["-t", fx.archiveURL, "pg1"]).status == 0)
        #expect(try await fx.archive(["-t", "file://\(fx.dir.path)/absent", "pg1"]).status == 1)
        #expect(try await fx.binary.run(["-t", fx.archiveURL, "pg1"], as: "cloud-wal-restore").status == 0)
        #expect(try await fx.binary.run(["-t", "file://\(fx.dir.path)/absent", "pg1"], as: "cloud-wal-restore").status == 1)
    }

    @Test func linkNamesAndSubcommandsRunTheSameCode() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        let wal = try fx.writeSegment()
        let barmanName = fx.binary.directory.path + "/barman-cloud-wal-archive"
        try FileManager.default.createSymbolicLink(atPath: barmanName, withDestinationPath: "cloud-wal")
        #expect(try await fx.archive(["-z", fx.archiveURL, "pg1", wal], as: "barman-cloud-wal-archive").status == 0)
        let dest = fx.dir.path + "/restored"
        let restore = try await fx.binary.run(["wal-restore", fx.archiveURL, "pg1", Self.segment, dest])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(FileManager.default.contentsEqual(atPath: dest, andPath: wal))
    }

    @Test func restoreExitStatuses() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        let wal = try fx.writeSegment()
        #expect(try await fx.archive(["--lz4", fx.archiveURL, "pg1", wal]).status == 0)
        func restore(_ args: [String], in cwd: String? = nil) async throws -> ProcessResult {
            try await ProcessRunner.run(fx.binary.restoreCommand, args, workingDirectory: cwd)
        }
        let ok = try await restore([fx.archiveURL, "pg1", Self.segment, fx.dir.path + "/out"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(FileManager.default.contentsEqual(atPath: fx.dir.path + "/out", andPath: wal))
        let notFound = try await restore([fx.archiveURL, "pg1", "000000010000000000000003", fx.dir.path + "/o2"])
        #expect(notFound.status == 1)
        #expect(notFound.stderr.isEmpty, "a routine miss is quiet by default: \(notFound.stderr)")
        #expect(try await restore([fx.archiveURL, "pg1", "00000002.history", fx.dir.path + "/o3"]).status == 1)
        #expect(try await restore([fx.archiveURL, "pg1", "RECOVERYXLOG", fx.dir.path + "/o4"]).status == 3)
        let badDest = try await restore([fx.archiveURL, "pg1", Self.segment, fx.dir.path + "/no/dir/x"])
        #expect(badDest.status == 4)

        // Corrupt the archived object: never "restored", never "not found".
        let stored = fx.dir.path + "/archive/pg1/wals/0000000100000000/\(Self.segment).lz4"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: stored)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: stored))
        let corrupt = try await restore([fx.archiveURL, "pg1", Self.segment, fx.dir.path + "/o5"])
        #expect(corrupt.status == 4)
        #expect(corrupt.stderr.contains("corrupt"))
        #expect(!FileManager.default.fileExists(atPath: fx.dir.path + "/o5"))

        // In targeted recovery (recovery.signal, no standby.signal) a failure must stop PostgreSQL:
        // status above 125. "Not found" stays 1: it is how recovery learns the archive ended.
        let pgdata = fx.dir.path + "/pgdata"
        try FileManager.default.createDirectory(atPath: pgdata + "/pg_wal", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: pgdata + "/recovery.signal", contents: Data())
        let inRecovery = try await restore([fx.archiveURL, "pg1", Self.segment, "pg_wal/RECOVERYXLOG"], in: pgdata)
        #expect(inRecovery.status == 255)
        let missingInRecovery = try await restore(
            [fx.archiveURL, "pg1", "000000010000000000000003", "pg_wal/RECOVERYXLOG"], in: pgdata)
        #expect(missingInRecovery.status == 1)
        // A standby just asks again, so the ordinary statuses stand there.
        FileManager.default.createFile(atPath: pgdata + "/standby.signal", contents: Data())
        let onStandby = try await restore([fx.archiveURL, "pg1", Self.segment, "pg_wal/RECOVERYXLOG"], in: pgdata)
        #expect(onStandby.status == 4)
    }
}
