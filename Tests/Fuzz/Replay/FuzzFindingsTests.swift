import CloudWAL
import Foundation
import Logging
import Testing

/// What fuzzing these parsers found, each stated as the behaviour now required. The inputs
/// themselves are in the corpus too (named `found-*`), replayed by `FuzzCorpus`.
@Suite("FuzzFindings")
struct FuzzFindingsTests {
    @Test("our tar writer keeps owners above 0o7777777 (pax uid/gid)", arguments: [2_097_151, 2_097_152, 1_447_383_635, 4_294_967_294])
    func largeOwnersSurviveTheWriter(id: Int) throws {
        let entry = TarEntry(path: "base/1/1259", kind: .file(size: 0), mode: 0o600, uid: id, gid: id - 1, mtime: 1_700_000_000)
        let archive = TarFormat.header(for: entry) + TarFormat.trailer
        let log = TarEventLog.read(archive, chunkSizes: [archive.count])
        guard case .begin(let member)? = log.events.first else {
            Issue.record("no member read: \(log.summary)")
            return
        }
        #expect(log.outcome == "finished")
        #expect(member.path == "base/1/1259")
        #expect(member.uid == id && member.gid == id - 1)
    }

    @Test("a pax path '..\\0' is refused and leaves the root's parent as it was")
    func nulInPaxPathIsRefused() throws {
        let bytes = try Data(contentsOf: FuzzFindingsTests.corpusFile("tar", "found-pax-nul-dotdot-dir"))
        let sandbox = try #require(FuzzSandbox())
        defer { sandbox.remove() }
        let before = sandbox.snapshotOutside()
        let extractor = TarExtractor(destination: sandbox.root, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        var reader = TarReader()
        #expect(throws: BackupError.self) {
            try Array(bytes).withUnsafeBytes { try reader.feed($0, into: extractor) }
        }
        #expect(sandbox.snapshotOutside() == before)
    }

    @Test("Python literals nested past 200 levels are refused, not a stack overflow")
    func deepNestingIsRefused() throws {
        #expect(throws: PythonLiteralError.self) {
            try PythonLiteral(parsing: String(repeating: "[", count: 100_000))
        }
        let nested = String(repeating: "[", count: 150) + String(repeating: "]", count: 150)
        #expect(try PythonLiteral(parsing: nested).elements?.count == 1)
    }

    @Test("--tags items split over Unicode scalars, as Python's csv does")
    func tagsSplitOverScalars() throws {
        #expect(throws: WALError.self) { try TagParser.parseCSV("key\r\n,value") }
        #expect(try TagParser.parseCSV("key,\u{301}value") == ObjectTag(key: "key", value: "\u{301}value"))
        #expect(try TagParser.parseCSV("\"a\nb\",c") == ObjectTag(key: "a\nb", value: "c"))
    }

    static func corpusFile(_ target: String, _ name: String) -> URL {
        FuzzCorpusTests.directory(for: target).appendingPathComponent(name)
    }
}
