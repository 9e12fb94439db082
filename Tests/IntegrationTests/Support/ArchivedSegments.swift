import Foundation
import Testing

extension PostgresCluster {
    /// `bursts` times, eight segments completed within a few milliseconds, then a switch: several
    /// segments are `.ready` at once while the archiver works through them one call at a time.
    /// Needs the table `burst (i int, pad text)`; returns the name of the last segment switched from.
    func writeWALBursts(_ bursts: Int) async throws -> String {
        var last = ""
        for _ in 0..<bursts {
            _ = try await psql("""
                do $$ begin for n in 1..8 loop
                  insert into burst select g, repeat('x', 200) from generate_series(1, 3000) g;
                  perform pg_switch_wal();
                end loop; end $$
                """)
            last = try await switchWAL()
        }
        return last
    }
}

/// What the look-ahead tests check in an archive after a burst: each segment once, no gaps,
/// PostgreSQL's own `.done` marks, no records left behind.
enum ArchivedSegments {
    /// Object files per segment name (any compression suffix), under `<archive>/<server>/wals`.
    static func objects(archiveDir: String, server: String) throws -> [String: [String]] {
        let wals = archiveDir + "/" + server + "/wals"
        guard let walker = FileManager.default.enumerator(atPath: wals) else {
            throw HarnessError("archive directory \(wals) does not exist")
        }
        return objects(relativePaths: walker.compactMap { $0 as? String })
    }

    /// Object paths per segment name, from the paths of everything stored.
    static func objects(relativePaths: [String]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for relative in relativePaths {
            let file = (relative as NSString).lastPathComponent
            let name = String(file.prefix(24))
            let isSegment = name.count == 24 && name.allSatisfy { $0.isHexDigit && !$0.isLowercase }
                && (file.count == 24 || file.dropFirst(24).hasPrefix("."))
                && !file.hasSuffix(".backup") && !file.contains(".partial")
            if isSegment { result[name, default: []].append(relative) }
        }
        return result
    }

    /// A 16 MiB segment's position: log * 256 + seg.
    static func number(_ name: String) -> Int? {
        guard let log = Int(name.dropFirst(8).prefix(8), radix: 16), let seg = Int(name.suffix(8), radix: 16) else {
            return nil
        }
        return log * 256 + seg
    }

    /// Expects every segment stored exactly once, no gap from the first archived to the last, and
    /// `last` the newest; returns the names, sorted.
    @discardableResult
    static func expectOnceEachWithoutGaps(_ objects: [String: [String]], last: String) -> [String] {
        let names = objects.keys.sorted()
        for (name, files) in objects {
            #expect(files.count == 1, "\(name) is stored \(files.count) times: \(files)")
        }
        let numbers = names.compactMap(number)
        if let first = numbers.first, let lastNumber = numbers.last {
            #expect(numbers == Array(first...lastNumber), "gaps in the archive: \(names)")
        }
        #expect(names.last == last)
        return names
    }

    /// Expects only `.done` files in archive_status, one for each of `names` still in pg_wal:
    /// PostgreSQL marked every segment itself.
    static func expectAllMarkedDone(_ names: [String], walDirectory: String) throws {
        let status = try FileManager.default.contentsOfDirectory(atPath: walDirectory + "/archive_status")
        #expect(status.allSatisfy { $0.hasSuffix(".done") }, "\(status.sorted())")
        for name in names where FileManager.default.fileExists(atPath: "\(walDirectory)/\(name)") {
            #expect(status.contains("\(name).done"), "\(name) has no .done")
        }
    }

    /// Record files (segment names) in every per-archive folder of `stateDir`.
    static func recordFiles(stateDir: String) throws -> [String] {
        var found: [String] = []
        for folder in try FileManager.default.contentsOfDirectory(atPath: stateDir) {
            for file in try FileManager.default.contentsOfDirectory(atPath: stateDir + "/" + folder)
            where file.count == 24 {
                found.append(file)
            }
        }
        return found
    }
}
