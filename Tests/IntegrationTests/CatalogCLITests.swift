import Foundation
import Testing

/// The catalog commands' command-line contract on a file:// archive: link names, barman-cloud's
/// exit statuses, one-line errors, and output on stdout.
@Suite("catalog commands: command line", .serialized)
struct CatalogCLITests {
    static let server = "pg1"
    static let done = "20250101T000000"
    static let failed = "20250102T000000"

    struct Fixture {
        let binary: TestBinary
        let dir: TempDirectory
        var root: String { dir.path + "/archive" }
        var url: String { "file://\(root)" }

        init() throws {
            binary = try TestBinary.prepare()
            dir = try TempDirectory.make(prefix: "cloudwal-catalog", ownedByServer: false)
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            for link in ["cloud-backup-list", "barman-cloud-backup-list", "cloud-backup-show", "barman-cloud-backup-keep",
                         "cloud-backup-delete", "barman-cloud-check-wal-archive", "cloud-check-wal-archive"] {
                try FileManager.default.createSymbolicLink(atPath: binary.directory.path + "/" + link, withDestinationPath: "cloud-wal")
            }
        }

        func cleanup() {
            binary.cleanup()
            dir.remove()
        }

        func write(_ key: String, _ text: String) throws {
            let path = root + "/" + key
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }

        func exists(_ key: String) -> Bool { FileManager.default.fileExists(atPath: root + "/" + key) }

        /// A DONE backup (WAL 2...3), a FAILED one, and WAL 1...5 with a .history file.
        func populate() throws {
            try write("pg1/base/\(CatalogCLITests.done)/backup.info", """
                backup_name=nightly
                begin_time=2025-01-01 00:00:00+00:00
                begin_wal=000000010000000000000002
                end_time=2025-01-01 00:01:00+00:00
                end_wal=000000010000000000000003
                server_name=cloud
                status=DONE
                timeline=1
                version=150018

                """)
            try write("pg1/base/\(CatalogCLITests.done)/data.tar", "tar")
            try write("pg1/base/\(CatalogCLITests.failed)/backup.info", """
                begin_time=2025-01-02 00:00:00+00:00
                error=failure uploading data (reset)
                server_name=cloud
                status=FAILED

                """)
            for segment in 1...5 {
                try write("pg1/wals/0000000100000000/00000001000000000000000\(segment)", "wal")
            }
            try write("pg1/wals/00000002.history", "history")
        }

        func run(_ args: [String], as name: String = "cloud-wal") async throws -> ProcessResult {
            try await binary.run(args, as: name)
        }
    }

    static func oneLine(_ text: String) -> Bool {
        text.split(separator: "\n").count == 1
    }

    @Test func linkNamesSelectTheCommand() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        try fx.populate()
        for name in ["cloud-backup-list", "barman-cloud-backup-list"] {
            let list = try await fx.run([fx.url, Self.server], as: name)
            #expect(list.status == 0, "\(name): \(list.stderr)")
            let lines = list.stdout.split(separator: "\n")
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("Backup ID           End Time"))
            #expect(lines[1].hasPrefix("\(Self.done)     2025-01-01 00:01:00      000000010000000000000002"))
            #expect(lines[2].contains("FAILED"))
        }
        let show = try await fx.run([fx.url, Self.server, "nightly"], as: "cloud-backup-show")
        #expect(show.stdout.hasPrefix("Backup \(Self.done):\n  Backup Name            : nightly\n"))
        let keep = try await fx.run([fx.url, Self.server, "latest", "--status"], as: "barman-cloud-backup-keep")
        #expect(keep.stdout == "Keep: nokeep\n")
        for name in ["cloud-check-wal-archive", "barman-cloud-check-wal-archive"] {
            let check = try await fx.run([fx.url, Self.server], as: name)
            #expect(check.status == 1)
            #expect(check.stderr.contains("Expected empty archive"))
            #expect(Self.oneLine(check.stderr))
        }
    }

    /// Arguments after the command name (URL and server are added), and barman-cloud's status.
    static let exitCases: [([String], Int32)] = [
        (["backup-show", "20991231T000000"], 1),
        (["backup-show", "no-such-name"], 1),
        (["backup-show", CatalogCLITests.done, "--format", "xml"], 3),
        (["backup-keep", CatalogCLITests.failed, "--target", "full"], 1),
        (["backup-keep", CatalogCLITests.done, "--target", "forever"], 3),
        (["backup-keep", CatalogCLITests.done], 3),
        (["backup-keep", CatalogCLITests.done, "-r", "-s"], 3),
        (["backup-delete"], 3),
        (["backup-delete", "-b", CatalogCLITests.done, "-r", "REDUNDANCY 1"], 3),
        (["backup-delete", "-r", "REDUNDANCY"], 3),
        (["backup-delete", "-r", "RECOVERY WINDOW OF 2 YEARS"], 3),
        (["backup-delete", "-r", "REDUNDANCY 1", "-m", "-1"], 3),
        (["backup-delete", "-b", CatalogCLITests.done, "-m", "2"], 1),
        (["check-wal-archive", "--timeline", "two"], 3),
        (["check-wal-archive", "--timeline", "3"], 0),
        (["check-wal-archive", "--timeline", "2"], 1),  // the .history file is on timeline 2
    ]

    @Test(arguments: exitCases)
    func exitStatusesFollowBarmanCloud(args: [String], expected: Int32) async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        try fx.populate()
        let result = try await fx.run([args[0], fx.url, Self.server] + args.dropFirst())
        #expect(result.status == expected, "\(args): \(result.stderr)")
        if expected != 0 { #expect(Self.oneLine(result.stderr), "\(args): \(result.stderr)") }
        // Nothing was deleted by a refused or invalid command.
        #expect(fx.exists("pg1/base/\(Self.done)/backup.info"))
    }

    @Test func aKeptBackupSurvivesDeleteAndRetention() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        try fx.populate()
        #expect(try await fx.run(["backup-keep", fx.url, Self.server, Self.done, "--target", "standalone"]).status == 0)
        #expect(try String(contentsOfFile: fx.root + "/pg1/base/\(Self.done)/annotations/keep", encoding: .utf8) == "standalone")
        let list = try await fx.run(["backup-list", fx.url, Self.server])
        #expect(list.stdout.contains("KEEP:STANDALONE"))
        let refused = try await fx.run(["backup-delete", fx.url, Self.server, "-b", Self.done])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("has a current keep request"))
        #expect(try await fx.run(["backup-delete", fx.url, Self.server, "-r", "REDUNDANCY 0"]).status == 0)
        #expect(fx.exists("pg1/base/\(Self.done)/data.tar"))
    }

    @Test func dryRunPrintsAndDeletesNothingThenTheRealRunDeletes() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        try fx.populate()
        let dry = try await fx.run(["backup-delete", fx.url, Self.server, "-b", Self.done, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout == """
            Skipping deletion of objects ['pg1/base/\(Self.done)/data.tar', 'pg1/base/\(Self.done)/backup.info'] due to --dry-run option
            Skipping deletion of objects ['pg1/wals/0000000100000000/000000010000000000000001'] due to --dry-run option

            """)
        #expect(fx.exists("pg1/base/\(Self.done)/data.tar"))
        #expect(fx.exists("pg1/wals/0000000100000000/000000010000000000000001"))

        let real = try await fx.run(["backup-delete", fx.url, Self.server, "-b", "oldest"])
        #expect(real.status == 0, "\(real.stderr)")
        #expect(real.stdout.isEmpty)
        #expect(!fx.exists("pg1/base/\(Self.done)/data.tar"))
        #expect(!fx.exists("pg1/base/\(Self.done)/backup.info"))
        #expect(!fx.exists("pg1/wals/0000000100000000/000000010000000000000001"))
        #expect(fx.exists("pg1/wals/0000000100000000/000000010000000000000002"))
        #expect(fx.exists("pg1/wals/00000002.history"))
        let json = try await fx.run(["backup-list", fx.url, Self.server, "--format", "json"])
        #expect(json.stdout.hasPrefix(#"{"backups_list": [{"backup_label": null"#))
        #expect(json.stdout.contains(#""backup_id": "\#(Self.failed)""#))
        #expect(!json.stdout.contains(Self.done))
    }

    @Test func aMissingArchiveDirectoryPassesTheCheckAndIsNotCreated() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        let missing = "file://\(fx.dir.path)/absent"
        let check = try await fx.run(["check-wal-archive", missing, Self.server])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fx.dir.path + "/absent"))
        // Listing a missing archive is an error other than "not found" (4), as barman-cloud.
        let list = try await fx.run(["backup-list", missing, Self.server])
        #expect(list.status == 4)
        #expect(Self.oneLine(list.stderr))
    }
}
