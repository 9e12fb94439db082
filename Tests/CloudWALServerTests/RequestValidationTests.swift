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

    static let segment = "000000010000000000000001"
    static let rules = DestinationPath.Rules(dataDirectory: "/srv/pg/data/", walDirectory: "/mnt/wal")
    static var wal: WALFileName { WALFileName(segment)! }

    @Test(arguments: [
        ("pg_wal/RECOVERYXLOG", "RECOVERYXLOG"), ("pg_wal/RECOVERYHISTORY", "RECOVERYHISTORY"),
        ("pg_wal/\(segment)", segment), ("/srv/pg/data/pg_wal/RECOVERYXLOG", "RECOVERYXLOG"),
        ("/mnt/wal/RECOVERYXLOG", "RECOVERYXLOG"), ("/mnt/wal/\(segment)", segment),
    ])
    func destInTheWALDirectoryIsAccepted(dest: String, name: String) throws {
        #expect(try DestinationPath.fileName(dest, fetching: Self.wal, rules: Self.rules) == name)
    }

    @Test(arguments: [
        "", "RECOVERYXLOG", "pg_wal", "pg_wal/", "global/pg_control", "postgresql.conf", "pg_wal/../global/pg_control",
        "../pg_wal/RECOVERYXLOG", "./pg_wal/RECOVERYXLOG", "pg_wal//RECOVERYXLOG", "pg_wal/./RECOVERYXLOG",
        "pg_wal/archive_status/RECOVERYXLOG", "pg_wal/x", "pg_wal/recoveryxlog", "pg_wal/RECOVERYXLOG ",
        "pg_wal/RECOVERYXLOG\u{0}", "pg_wal\\RECOVERYXLOG", "pg_wal/%2e%2e", "pg_wal%2FRECOVERYXLOG",
        "/etc/passwd", "/srv/pg/data/global/pg_control", "/srv/pg/data/pg_wal/../global/pg_control",
        "/srv/pg/data/RECOVERYXLOG", "/mnt/wal/../etc/RECOVERYXLOG", "/mnt/wal/sub/RECOVERYXLOG",
        "/mnt/wal//RECOVERYXLOG", "pg_wal/000000010000000000000002", "pg_wal/00000002.history",
        "pg_wal/\(segment).partial", "pg_wal/.\(segment)", "pg_xlog/RECOVERYXLOG",
        "pg_wal/" + String(repeating: "A", count: 5000), String(repeating: "pg_wal/", count: 2000) + "RECOVERYXLOG",
    ])
    func everythingElseIsRefused(dest: String) {
        #expect(throws: DestinationPath.Rejected.self, "\(dest.debugDescription.prefix(80))") {
            try DestinationPath.fileName(dest, fetching: Self.wal, rules: Self.rules)
        }
    }

    @Test func refusalsNeverEchoTheInput() {
        let secret = "pg_wal/../../x-SECRETISH-" + String(repeating: "y", count: 50)
        let error = #expect(throws: DestinationPath.Rejected.self) {
            try DestinationPath.fileName(secret, fetching: Self.wal, rules: Self.rules)
        }
        #expect(error?.reason.contains("SECRETISH") == false)
        #expect(error?.reason.contains("\n") == false)
    }

    /// Swift's `==` on strings is canonical equivalence: "A\u{30A}" equals "\u{C5}". The check
    /// compares bytes, so only the exact spelling of a directory passes.
    @Test func canonicallyEquivalentSpellingsAreRefused() throws {
        let rules = DestinationPath.Rules(dataDirectory: "/data", walDirectory: "/srv/\u{C5}wal")
        #expect(try DestinationPath.fileName("/srv/\u{C5}wal/RECOVERYXLOG", fetching: Self.wal, rules: rules) == "RECOVERYXLOG")
        #expect(throws: DestinationPath.Rejected.self) {
            try DestinationPath.fileName("/srv/A\u{30A}wal/RECOVERYXLOG", fetching: Self.wal, rules: rules)
        }
    }

    @Test func aResolvedSpellingOfTheWALDirectoryIsAccepted() throws {
        let rules = DestinationPath.Rules(
            dataDirectory: "/data", walDirectory: "/data/pg_wal", resolvedSpellings: ["/volumes/wal/"])
        #expect(rules.directories == ["pg_wal", "/data/pg_wal", "/volumes/wal"])
        #expect(try DestinationPath.fileName("/volumes/wal/RECOVERYXLOG", fetching: Self.wal, rules: rules) == "RECOVERYXLOG")
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
