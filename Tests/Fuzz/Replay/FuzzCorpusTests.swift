import CloudWAL
import Foundation
import Testing

/// Every committed fuzz input, replayed through its target's property checks in the ordinary
/// test run: the seeds (real WAL names, URLs, tars from our writer and GNU tar, backup.info
/// files) and every input a fuzzer once broke a property with.
@Suite("FuzzCorpus")
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("corpus")

    /// `tar-extract` reads the `tar` seeds, as it does under libFuzzer (scripts/fuzz.sh).
    static func directory(for target: String) -> URL {
        corpus.appendingPathComponent(target == "tar-extract" ? "tar" : target)
    }

    static func inputs(for target: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory(for: target), includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("each target's corpus replays without a broken property", arguments: FuzzTarget.all.map(\.name))
    func replay(target name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let files = try Self.inputs(for: name)
        #expect(files.count >= 3, "the \(name) corpus should hold real seeds, found \(files.count)")
        for file in files {
            let violations = target.check(Array(try Data(contentsOf: file)))
            #expect(violations.isEmpty, "\(name)/\(file.lastPathComponent): \(violations.joined(separator: "; "))")
        }
    }

    @Test("every corpus folder belongs to a target")
    func foldersMatchTargets() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter { !$0.hasPrefix(".") }
        let names = Set(FuzzTarget.all.map(\.name))
        #expect(Set(folders).subtracting(names).isEmpty, "corpus folders without a target: \(folders)")
    }
}
