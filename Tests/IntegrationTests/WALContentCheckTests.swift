import Foundation
import Testing

/// The first-page and cluster checks against every kind of file a real PostgreSQL 15 writes,
/// archived by the server itself through `cloud-wal-archive` on file://: early switches, a base
/// backup's `.backup`, a standby's promotion (`.history`, `.partial`, timeline 2, whose first
/// segment is a copy of timeline 1's), with `wal_recycle` on and off; then the refusals.
///
/// Serialized: each case runs up to two servers on a two-core machine.
@Suite("WAL content checks (PostgreSQL 15)", .serialized)
struct WALContentCheckTests {
    static let server = "pg1"

    @Test("every file PostgreSQL archives passes the checks and restores byte-identical", arguments: [true, false])
    func everyKindOfFilePasses(walRecycle: Bool) async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archive = try TempDirectory.make(prefix: "cloudwal-archive")
        defer { archive.remove() }
        let url = "file://" + archive.path
        let settings = [
            "archive_mode": "on",
            "archive_command": "\(binary.archiveCommand) \(url) \(Self.server) %p",
            "wal_recycle": walRecycle ? "on" : "off",
            "min_wal_size": "64MB",
        ]
        let primary = try await PostgresCluster.start(settings: settings)
        try await withCleanup(of: primary) { primary in
            let sysid = try await primary.psql("select system_identifier from pg_control_system()")
            // Early switches with checkpoints in between, so segments are recycled (or removed) and reused.
            try await primary.psql("create table t (i int, pad text)")
            for round in 0..<3 {
                try await primary.psql("insert into t select g, repeat('x', 200) from generate_series(1, 20000) g")
                try await primary.switchWAL()
                if round < 2 { try await primary.psql("checkpoint") }
            }
            try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))

            // A streaming standby from a base backup (which archives a `.backup` file), promoted.
            let backup = try await primary.scratchDirectory("standby") + "/data"
            try await primary.basebackup(to: backup, walMethod: .stream)
            guard FileManager.default.createFile(atPath: backup + "/standby.signal", contents: Data()) else {
                throw HarnessError("cannot create standby.signal")
            }
            var standbySettings = settings
            standbySettings["primary_conninfo"] = "host=127.0.0.1 port=\(await primary.port) user=postgres"
            let standby = try await PostgresCluster.startRestored(
                directory: backup, settings: standbySettings, promote: false)
            try await withCleanup(of: standby) { standby in
                // WAL in the segment the standby will promote in, replayed before promotion.
                try await primary.psql("insert into t select g, 'before promotion' from generate_series(1, 5000) g")
                let target = try await primary.psql("select pg_current_wal_lsn()")
                _ = try await waitUntil(timeout: .seconds(60), "standby replay of \(target)") {
                    let caughtUp = try? await standby.psql(
                        "select pg_last_wal_replay_lsn() >= '\(target)'::pg_lsn", timeout: .seconds(10))
                    return caughtUp == "t" ? true : nil
                }
                try await standby.psql("select pg_promote()")
                try await standby.waitForPromotion()
                try await standby.psql("insert into t select g, 'timeline 2' from generate_series(1, 5000) g")
                try await standby.switchWAL()
                try await standby.psql("checkpoint")
                let last = try await standby.switchWAL()
                #expect(last.hasPrefix("00000002"))
                try await standby.waitForArchiver(upTo: last, timeout: .seconds(60))
                // The old timeline goes on at the primary, archived next to the .partial.
                try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))
                #expect(try await standby.archiverStats().failedCount == 0)
            }
            #expect(try await primary.archiverStats().failedCount == 0)

            let files = try Self.archivedFiles(archive.path)
            let names = Set(files.keys)
            #expect(names.contains("00000002.history"), "\(names.sorted())")
            #expect(names.contains { $0.hasSuffix(".partial") }, "\(names.sorted())")
            #expect(names.contains { $0.hasSuffix(".backup") }, "\(names.sorted())")
            #expect(names.contains { $0.count == 24 && $0.hasPrefix("00000001") })
            let timeline2 = names.filter { $0.count == 24 && $0.hasPrefix("00000002") }.sorted()
            let firstOfTimeline2 = try #require(timeline2.first, "no timeline 2 segment in \(names.sorted())")
            // The copied case is really exercised: the first segment of timeline 2 starts with timeline 1's page.
            let copied = try #require(FileManager.default.contents(atPath: files[firstOfTimeline2] ?? ""))
            #expect(copied[copied.startIndex + 4] == 1, "first page of \(firstOfTimeline2) names timeline \(copied[copied.startIndex + 4])")

            let scratch = try TempDirectory.make(prefix: "cloudwal-restored", ownedByServer: false)
            defer { scratch.remove() }
            for (name, path) in files.sorted(by: { $0.key < $1.key }) {
                let dest = scratch.path + "/" + name
                let restored = try await binary.run([url, Self.server, name, dest], as: "cloud-wal-restore")
                #expect(restored.status == 0, "restore \(name): \(restored.stderr)")
                #expect(FileManager.default.contents(atPath: dest) == FileManager.default.contents(atPath: path),
                        "\(name) restored with other bytes")
                let meta = Self.metadata(ofObjectAt: path)
                if name.count == 24 || name.hasSuffix(".partial") {
                    #expect(meta["cloudwal-sysid"] == sysid, "\(name): \(meta)")
                } else {
                    #expect(meta["cloudwal-sysid"] == nil, "\(name): \(meta)")
                }
            }
            // Run from the cluster's own data directory, as restore_command is: the identities agree.
            let segment = try #require(names.filter { $0.count == 24 }.sorted().first)
            let inDataDirectory = try await ProcessRunner.run(
                binary.restoreCommand, [url, Self.server, segment, scratch.path + "/from-pgdata"],
                workingDirectory: primary.dataDir)
            #expect(inDataDirectory.status == 0, "\(inDataDirectory.stderr)")
        }
    }

    @Test("renamed segments, another cluster's WAL and an unknown magic")
    func refusalsAndWarnings() async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let archive = try TempDirectory.make(prefix: "cloudwal-archive")
        defer { archive.remove() }
        let scratch = try TempDirectory.make(prefix: "cloudwal-scratch", ownedByServer: false)
        defer { scratch.remove() }
        let url = "file://" + archive.path
        let primary = try await PostgresCluster.start(settings: [
            "archive_mode": "on", "archive_command": "\(binary.archiveCommand) \(url) \(Self.server) %p",
        ])
        try await withCleanup(of: primary) { primary in
            try await primary.psql("create table t as select generate_series(1, 1000) i")
            let segment = try await primary.switchWAL()
            try await primary.waitForArchiver(upTo: segment, timeout: .seconds(60))
            let objectPath = try #require(try Self.archivedFiles(archive.path)[segment])
            let bytes = try #require(FileManager.default.contents(atPath: objectPath))
            let foreignName = "0000000100000000000000F0"

            // A segment copied under another name is never archived.
            try FileManager.default.createDirectory(atPath: scratch.path + "/pg_wal", withIntermediateDirectories: true)
            let renamed = scratch.path + "/pg_wal/" + foreignName
            try bytes.write(to: URL(fileURLWithPath: renamed))
            let refused = try await binary.run([url, Self.server, renamed], as: "cloud-wal-archive")
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(Self.oneLine(refused.stderr).contains("another segment"), "\(refused.stderr)")
            #expect(try Self.archivedFiles(archive.path)[foreignName] == nil)

            // An object renamed inside the archive (with its metadata) is corrupt: 4, or 255 in recovery.
            let hashDirectory = (objectPath as NSString).deletingLastPathComponent
            try FileManager.default.copyItem(atPath: objectPath, toPath: hashDirectory + "/" + foreignName)
            try FileManager.default.copyItem(
                atPath: hashDirectory + "/.\(segment).meta", toPath: hashDirectory + "/.\(foreignName).meta")
            let dest = scratch.path + "/RECOVERYXLOG"
            let corrupt = try await binary.run([url, Self.server, foreignName, dest], as: "cloud-wal-restore")
            #expect(corrupt.status == 4, "\(corrupt.stderr)")
            #expect(Self.oneLine(corrupt.stderr).contains("another segment"), "\(corrupt.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dest))
            let recovering = try scratch.subdirectory("recovering", ownedByServer: false)
            FileManager.default.createFile(atPath: recovering + "/recovery.signal", contents: Data())
            let inRecovery = try await ProcessRunner.run(
                binary.restoreCommand, [url, Self.server, foreignName, dest], workingDirectory: recovering)
            #expect(inRecovery.status == 255, "\(inRecovery.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dest))

            // Another cluster's data directory never receives this cluster's WAL.
            let other = try await PostgresCluster.initialize()
            try await withCleanup(of: other) { other in
                let foreign = try await ProcessRunner.run(
                    binary.restoreCommand, [url, Self.server, segment, dest], workingDirectory: other.dataDir)
                #expect(foreign.status == 4, "\(foreign.stderr)")
                #expect(Self.oneLine(foreign.stderr).contains("system identifier"), "\(foreign.stderr)")
                #expect(!FileManager.default.fileExists(atPath: dest))
            }
            let own = try await ProcessRunner.run(
                binary.restoreCommand, [url, Self.server, segment, dest], workingDirectory: primary.dataDir)
            #expect(own.status == 0, "\(own.stderr)")
            #expect(FileManager.default.contents(atPath: dest) == bytes)

            // A magic no known major writes, otherwise consistent: archived with a warning, restored.
            var patched = bytes
            patched[patched.startIndex] = 0xFF
            patched[patched.startIndex + 1] = 0xD1
            let patchedPath = scratch.path + "/pg_wal/" + segment
            try patched.write(to: URL(fileURLWithPath: patchedPath))
            let warned = try await binary.run([url, "pg2", patchedPath], as: "cloud-wal-archive")
            #expect(warned.status == 0, "\(warned.stderr)")
            #expect(warned.stderr.contains("0xD1FF"), "\(warned.stderr)")
            let back = scratch.path + "/patched"
            let restoredPatched = try await binary.run([url, "pg2", segment, back], as: "cloud-wal-restore")
            #expect(restoredPatched.status == 0, "\(restoredPatched.stderr)")
            #expect(FileManager.default.contents(atPath: back) == patched)
        }
    }

    /// WAL name → path of every object under `root`'s server folder (file://, uncompressed).
    static func archivedFiles(_ root: String) throws -> [String: String] {
        let wals = root + "/" + server + "/wals"
        var found: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: wals) else { return [:] }
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            var isDirectory: ObjCBool = false
            guard !name.hasPrefix("."), FileManager.default.fileExists(atPath: wals + "/" + relative, isDirectory: &isDirectory),
                !isDirectory.boolValue
            else { continue }
            found[name] = wals + "/" + relative
        }
        return found
    }

    /// The file store's `key=value` metadata beside an object.
    static func metadata(ofObjectAt path: String) -> [String: String] {
        let meta = (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent + ".meta"
        let text = String(decoding: FileManager.default.contents(atPath: meta) ?? Data(), as: UTF8.self)
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            out[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return out
    }

    /// The text when it is exactly one line (else empty, so a `contains` check fails).
    static func oneLine(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        return lines.count == 1 ? String(lines[0]) : ""
    }
}
