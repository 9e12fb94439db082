import CloudWAL
import CloudWALServer
import Foundation
import HummingbirdCore
import PropertyBased
import Testing

/// Generated inputs for the sidecar's parsing of request paths, query strings and `dest`:
/// whatever arrives, nothing crashes, nothing outside the WAL directory is accepted, and no
/// name PostgreSQL would not use is accepted.
///
/// Inputs are built from fragments an attacker would combine (traversal, encodings, NUL,
/// backslashes, the WAL directory's own spellings, WAL names) plus raw Latin-1 noise, so that
/// both near misses and garbage are tried on every run.
@Suite("Sidecar request parsing (property-based)")
struct RequestParsingPropertyTests {
    static let segment = "000000010000000000000001"
    static let data = "/srv/pg/data"
    static let walDirectory = "/mnt/wal"
    static let rules = DestinationPath.Rules(dataDirectory: data, walDirectory: walDirectory)

    static let fragments: [String] = [
        "/", "//", ".", "..", "../", "./", "%2e", "%2E", "%2f", "%2F", "%252e", "%252f", "%00", "\u{0}", "\\", "%5c",
        " ", "\n", "\r\n", "?", "&", "=", "#", ";", "~", "\u{212A}", "A\u{30A}", "\u{C5}", "\u{FEFF}",
        "pg_wal", "pg_wal/", "pg_xlog", "global", "pg_control", "postgresql.conf", "archive_status",
        "RECOVERYXLOG", "RECOVERYHISTORY", "recoveryxlog", segment, "000000010000000000000002", "00000002.history",
        segment + ".partial", segment + ".00000028.backup", "0000000100000000000000011", data, data + "/", walDirectory,
        "/tmp", "/etc/passwd", "wal-fetch", "wal-push", "dest", "dest=",
    ]

    /// Strings of 1 to 10 fragments, or of up to 60 random Latin-1 characters.
    static var hostile: Generator<String, AnySequence<(index: Int, value: Any)>> {
        let pieces = Gen<String?>.element(of: fragments).array(of: 1...10).map { $0.compactMap { $0 }.joined() }
        let noise = Gen.latin1.string(of: 0...60)
        return Gen.oneOf(pieces.eraseToAny(), noise.eraseToAny(), pieces.eraseToAny())
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func destIsEitherRefusedOrAPostgresNameDirectlyInTheWALDirectory() async {
        let wal = WALFileName(Self.segment)
        await propertyCheck(count: 3000, input: Self.hostile) { dest in
            guard let wal else { Issue.record("the segment name does not parse"); return }
            guard let name = try? DestinationPath.fileName(dest, fetching: wal, rules: Self.rules) else { return }
            #expect(DestinationPath.isPostgresName(name), "accepted a non-PostgreSQL name from \(dest.debugDescription)")
            #expect(!name.utf8.contains(UInt8(ascii: "/")) && name != "." && name != "..")
            #expect(DestinationPath.isScratchName(name) || Self.bytes(name) == Self.bytes(wal.name))
            // The accepted text is exactly one directory spelling, a slash and the name.
            let spelled = Self.rules.directories.map { Self.bytes($0 + "/" + name) }
            #expect(spelled.contains(Self.bytes(dest)), "accepted \(dest.debugDescription) as \(name)")
        }
    }

    @Test func everyDirectorySpellingWithAPostgresNameIsAccepted() async {
        let directories = Gen<String?>.element(of: Self.rules.directories)
        let names = Gen<String?>.element(of: ["RECOVERYXLOG", "RECOVERYHISTORY", Self.segment])
        await propertyCheck(count: 200, input: directories, names) { directory, name in
            guard let directory, let name, let wal = WALFileName(Self.segment) else { return }
            #expect((try? DestinationPath.fileName(directory + "/" + name, fetching: wal, rules: Self.rules)) == name)
        }
    }

    @Test func requestPathsYieldOnlyWALNames() async {
        let paths = Self.hostile.map { "/wal-fetch/" + $0 }
        await propertyCheck(count: 3000, input: paths) { path in
            guard let wal = WALRequestName.parse(path: path) else { return }
            #expect(WALFileName(wal.name) != nil)
            #expect(!wal.name.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "%") || $0 < 0x21 }))
            #expect(wal.name.utf8.count <= 40)
        }
    }

    /// Hummingbird's query parsing followed by ours: whatever the query string, a `dest` that
    /// gets through names a PostgreSQL file directly in the WAL directory.
    @Test func queryStringsNeverSmuggleADestination() async {
        let queries = Gen.oneOf(
            Self.hostile.map { "dest=" + $0 }.eraseToAny(),
            Self.hostile.map { $0 + "&dest=pg_wal/RECOVERYXLOG" }.eraseToAny(),
            Self.hostile.eraseToAny())
        await propertyCheck(count: 2000, input: queries) { query in
            let uri = URI("/wal-fetch/\(Self.segment)?\(query)")
            guard let wal = WALRequestName.parse(path: uri.path) else { return }
            for dest in uri.queryParameters.getAll("dest") {
                guard let name = try? DestinationPath.fileName(String(dest), fetching: wal, rules: Self.rules) else { continue }
                #expect(DestinationPath.isPostgresName(name))
                #expect(Self.rules.directories.map { Self.bytes($0 + "/" + name) }.contains(Self.bytes(String(dest))))
            }
        }
    }
}
