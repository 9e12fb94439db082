import CloudWAL
import CloudWALServer
import Foundation
import Testing

@Suite("Sidecar request validation: WAL names, dest paths, bearer token")
struct RequestValidationTests {
    @Test(arguments: [
        ("/wal-push/000000010000000000000001", "000000010000000000000001"),
        ("/wal-fetch/00000002.history", "00000002.history"),
        ("/wal-push/000000010000000000000001.partial", "000000010000000000000001.partial"),
        ("/wal-push/000000010000000000000002.00000028.backup", "000000010000000000000002.00000028.backup"),
        ("/wal-push/x/y/000000010000000000000001", "000000010000000000000001"),
        ("/wal-push/%30%30000001000000000000000A", "00000001000000000000000A"),
    ])
    func acceptsWALNames(path: String, expected: String) {
        #expect(WALRequestName.parse(path: path)?.name == expected)
    }

    @Test(arguments: [
        "/wal-push/", "/wal-push/foo", "/wal-push/..", "/wal-push/../../etc/passwd",
        "/wal-push/..%2F..%2Fetc%2Fpasswd", "/wal-push/000000010000000000000001%2F..",
        "/wal-push/%2e%2e", "/wal-push/00000001000000000000000G", "/wal-push/000000010000000000000001/",
        "/wal-push/000000010000000000000001%00", "/wal-push/%zz", "/wal-push/postgresql.conf",
        "/wal-push/0000000100000000000000011",
    ])
    func refusesEverythingElse(path: String) {
        #expect(WALRequestName.parse(path: path) == nil)
    }

    // MARK: - dest

    /// A PGDATA with pg_wal, a symlink escaping to a sibling directory, and one staying inside.
    struct Layout {
        let root: String
        var data: String { root + "/data" }
        var outside: String { root + "/outside" }

        init() throws {
            root = NSTemporaryDirectory() + "cloudwal-dest-" + UUID().uuidString
            let fm = FileManager.default
            try fm.createDirectory(atPath: root + "/data/pg_wal", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: root + "/outside", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: root + "/waldisk", withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: root + "/data/escape", withDestinationPath: root + "/outside")
            try fm.createSymbolicLink(atPath: root + "/data/inside", withDestinationPath: "pg_wal")
            try fm.createSymbolicLink(atPath: root + "/data/waldir", withDestinationPath: root + "/waldisk")
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test func destInsidePGDATAResolvesToTheRealDirectory() throws {
        let layout = try Layout()
        defer { layout.remove() }
        let real = URL(fileURLWithPath: layout.data).resolvingSymlinksInPath().path
        #expect(try DestinationPath.resolve("pg_wal/RECOVERYXLOG", inside: layout.data) == real + "/pg_wal/RECOVERYXLOG")
        #expect(try DestinationPath.resolve("RECOVERYHISTORY", inside: layout.data) == real + "/RECOVERYHISTORY")
        #expect(try DestinationPath.resolve("inside/X", inside: layout.data) == real + "/pg_wal/X")
    }

    @Test(arguments: [
        ("", "empty"), ("/etc/passwd", "relative"), ("../outside/x", "'..'"), ("pg_wal/../../outside/x", "'..'"),
        ("./pg_wal/x", "'.'"), ("pg_wal//x", "empty"), ("escape/x", "outside PGDATA"), ("missing/x", "does not exist"),
        ("pg_wal/", "empty"),
    ])
    func destEscapesAreRejected(dest: String, reason: String) throws {
        let layout = try Layout()
        defer { layout.remove() }
        let error = #expect(throws: DestinationPath.Rejected.self) {
            try DestinationPath.resolve(dest, inside: layout.data)
        }
        #expect(error?.reason.contains(reason) == true, "\(dest): \(error?.reason ?? "-")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: layout.outside).isEmpty)
    }

    @Test func aWALDirectoryOnAnotherVolumeIsAllowedOnlyWhenConfigured() throws {
        let layout = try Layout()
        defer { layout.remove() }
        #expect(throws: DestinationPath.Rejected.self) { try DestinationPath.resolve("waldir/X", inside: layout.data) }
        let resolved = try DestinationPath.resolve("waldir/X", inside: layout.data, walDirectory: layout.root + "/waldisk")
        #expect(resolved.hasSuffix("/waldisk/X"))
    }

    // MARK: - token

    @Test func bearerTokenAcceptsOnlyTheExactToken() throws {
        let token = try #require(BearerToken("s3cret-token\n"))
        #expect(token.accepts(authorizationHeader: "Bearer s3cret-token"))
        #expect(token.accepts(authorizationHeader: "bearer s3cret-token"))
        #expect(!token.accepts(authorizationHeader: nil))
        #expect(!token.accepts(authorizationHeader: ""))
        #expect(!token.accepts(authorizationHeader: "Bearer "))
        #expect(!token.accepts(authorizationHeader: "Bearer s3cret-toke"))
        #expect(!token.accepts(authorizationHeader: "Bearer s3cret-token2"))
        #expect(!token.accepts(authorizationHeader: "Bearer S3cret-token"))
        #expect(!token.accepts(authorizationHeader: "Basic s3cret-token"))
        #expect(!token.accepts(authorizationHeader: "s3cret-token"))
        #expect(BearerToken("  \n") == nil)
        #expect(BearerToken("") == nil)
    }
}
