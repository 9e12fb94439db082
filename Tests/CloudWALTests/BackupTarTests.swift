import CloudWAL
import Foundation
import Testing

/// Reads the member names and sizes of an uncompressed tar, honouring ustar's prefix field and
/// pax `path` records: just enough to check what the writer produced.
func tarMembers(_ bytes: [UInt8]) -> [(name: String, size: Int, type: Character, content: [UInt8])] {
    func field(_ header: ArraySlice<UInt8>, _ offset: Int, _ width: Int) -> String {
        let slice = header.dropFirst(offset).prefix(width)
        return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
    }
    var members: [(String, Int, Character, [UInt8])] = []
    var offset = 0
    var paxPath: String?
    while offset + 512 <= bytes.count {
        let header = bytes[offset..<offset + 512]
        if header.allSatisfy({ $0 == 0 }) { break }
        let size = Int(field(header, 124, 12).trimmingCharacters(in: .whitespaces), radix: 8) ?? -1
        let type = Character(UnicodeScalar(header[header.startIndex + 156]))
        let prefix = field(header, 345, 155)
        var name = prefix.isEmpty ? field(header, 0, 100) : prefix + "/" + field(header, 0, 100)
        let content = Array(bytes[(offset + 512)..<min(bytes.count, offset + 512 + max(size, 0))])
        offset += 512 + (size + 511) / 512 * 512
        if type == "x" {
            for record in String(decoding: content, as: UTF8.self).split(separator: "\n") {
                if let range = record.range(of: " path=") { paxPath = String(record[range.upperBound...]) }
            }
            continue
        }
        if let path = paxPath { name = path }
        paxPath = nil
        members.append((name, size, type, content))
    }
    return members
}

@Suite("Backup tars")
struct BackupTarTests {
    @Test func headersCarryChecksumAndFields() {
        let entry = TarEntry(path: "base/1/1259", kind: .file(size: 8192), mode: 0o600, uid: 101, gid: 104, mtime: 1_700_000_000)
        let header = TarFormat.header(for: entry)
        #expect(header.count == 512)
        #expect(String(decoding: header[0..<11], as: UTF8.self) == "base/1/1259")
        #expect(String(decoding: header[124..<135], as: UTF8.self) == "00000020000")
        #expect(String(decoding: header[257..<262], as: UTF8.self) == "ustar")
        var copy = header
        for index in 148..<156 { copy[index] = UInt8(ascii: " ") }
        let sum = copy.reduce(0) { $0 + Int($1) }
        #expect(Int(String(decoding: header[148..<154], as: UTF8.self), radix: 8) == sum)
    }

    @Test func longPathsUsePrefixThenPax() {
        let medium = String(repeating: "d", count: 90) + "/" + String(repeating: "f", count: 90)
        let split = TarFormat.header(for: TarEntry(path: medium, kind: .file(size: 0), mode: 0o600))
        #expect(split.count == 512)
        #expect(tarMembers(split + [UInt8](repeating: 0, count: 1024)).first?.name == medium)

        let long = (0..<40).map { "segment\($0)" }.joined(separator: "/")
        let paxed = TarFormat.header(for: TarEntry(path: long, kind: .file(size: 0), mode: 0o600))
        #expect(paxed.count == 3 * 512)
        #expect(tarMembers(paxed + [UInt8](repeating: 0, count: 1024)).first?.name == long)
    }

    @Test(arguments: [("path", "a"), ("path", String(repeating: "x", count: 95)), ("linkpath", "b/c")])
    func paxRecordLengthCountsItself(key: String, value: String) {
        let record = TarFormat.paxRecord((key, value))
        let length = Int(record.split(separator: " ")[0])
        #expect(length == record.utf8.count)
    }

    @Test func exclusionsFollowPostgresRules() {
        let rules = BackupExclusions(extraPaths: ["pg_tblspc/16385"])
        #expect(rules.includes("base/1/1259", isDirectory: false))
        #expect(rules.includes("pg_wal", isDirectory: true))
        #expect(!rules.includes("pg_wal/000000010000000000000001", isDirectory: false))
        #expect(!rules.includes("pg_wal/archive_status", isDirectory: true))
        #expect(rules.includes("pg_replslot", isDirectory: true))
        #expect(!rules.includes("pg_replslot/slot1/state", isDirectory: false))
        #expect(!rules.includes("postmaster.pid", isDirectory: false))
        #expect(!rules.includes("backup_label", isDirectory: false))
        #expect(!rules.includes("global/pg_control", isDirectory: false))
        #expect(!rules.includes("base/16384/pg_internal.init", isDirectory: false))
        #expect(!rules.includes("base/pgsql_tmp", isDirectory: true))
        #expect(!rules.includes("base/16384/t3_16999", isDirectory: false))
        #expect(!rules.includes("base/16384/t3_16999_fsm", isDirectory: false))
        #expect(rules.includes("base/16384/16999_fsm", isDirectory: false))
        #expect(rules.includes("pg_tblspc", isDirectory: true))
        #expect(!rules.includes("pg_tblspc/16385", isDirectory: false))
        #expect(rules.includesInTablespace("PG_15_202209061/16384/16390", isDirectory: false))
        #expect(!rules.includesInTablespace("PG_15_202209061/16384/t4_16390", isDirectory: false))
    }

    @Test func splitsAtMaxArchiveSizeIntoCompleteTars() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileSystemStore(root: dir.path)
        let layout = try ArchiveLayout(prefix: "p", serverName: "pg1")
        let settings = TarArchiveWriter.Settings(
            store: store, layout: layout, backupID: "20260101T000000", compression: nil, level: .medium,
            partSize: 64 << 10, jobs: 2, maxArchiveSize: 150_000, options: PutOptions())
        let writer = TarArchiveWriter(name: "data", settings: settings, progress: BackupProgress(verb: "", expectedBytes: nil, enabled: false))
        var expected: [String: [UInt8]] = [:]
        for index in 0..<6 {
            let content = TestData.segment(size: 100_000 + index, seed: UInt64(index + 1))
            let path = try dir.write(content, to: "src/file\(index)")
            expected["file\(index)"] = content
            let entry = TarEntry(path: "file\(index)", kind: .file(size: content.count), mode: 0o600)
            #expect(try await writer.add(entry, sourcePath: path))
        }
        #expect(!(try await writer.add(TarEntry(path: "gone", kind: .file(size: 5), mode: 0o600), sourcePath: dir.path + "/missing")))
        try await writer.add(path: "backup_label", contents: Array("LABEL\n".utf8), mode: 0o600, mtime: 0)
        let results = try await writer.finish()
        let keys = results.map(\.key)
        // Two 100 kB files per tar: the check runs before each entry, as barman's does, so the
        // label written after the last file starts a fourth tar.
        #expect(keys == [
            "p/pg1/base/20260101T000000/data.tar", "p/pg1/base/20260101T000000/data_0001.tar",
            "p/pg1/base/20260101T000000/data_0002.tar", "p/pg1/base/20260101T000000/data_0003.tar",
        ])
        var seen: [String: [UInt8]] = [:]
        for result in results {
            let bytes = try dir.read(result.key)
            #expect(bytes.count == result.storedBytes)
            #expect(bytes.count % 512 == 0)
            #expect(Array(bytes.suffix(1024)) == [UInt8](repeating: 0, count: 1024))
            var digest = ContentDigest()
            digest.update(bytes)
            #expect(digest.finalize() == result.sha256)
            for member in tarMembers(bytes) { seen[member.name] = member.content }
        }
        #expect(seen["backup_label"] == Array("LABEL\n".utf8))
        seen["backup_label"] = nil
        #expect(seen == expected)
    }

    @Test func compressedPartsUploadOutOfOrderAndNeverReplace() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileSystemStore(root: dir.path)
        let upload = try await store.beginUpload("k/obj", partSize: 4, options: PutOptions())
        try await upload.uploadPart(3, bytes: [9])
        try await upload.uploadPart(1, bytes: [1, 2, 3, 4])
        try await upload.uploadPart(2, bytes: [5, 6, 7, 8])
        #expect(try await upload.complete(partCount: 3) == .created)
        #expect(try dir.read("k/obj") == [1, 2, 3, 4, 5, 6, 7, 8, 9])

        let again = try await store.beginUpload("k/obj", partSize: 4, options: PutOptions())
        try await again.uploadPart(1, bytes: [0])
        #expect(try await again.complete(partCount: 1) == .alreadyExists)
        #expect(try dir.read("k/obj") == [1, 2, 3, 4, 5, 6, 7, 8, 9])

        let abandoned = try await store.beginUpload("k/other", partSize: 4, options: PutOptions())
        try await abandoned.uploadPart(1, bytes: [1])
        await abandoned.abort()
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/k")
        #expect(leftovers == ["obj"])
    }

    /// A store without its own part protocol gets the spooled default, which sends the whole
    /// object with `putFile` at the end.
    @Test func spooledDefaultForOtherStores() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = PlainStore(inner: FileSystemStore(root: dir.path))
        let upload = try await store.beginUpload("obj", partSize: 3, options: PutOptions())
        try await upload.uploadPart(2, bytes: [4, 5])
        try await upload.uploadPart(1, bytes: [1, 2, 3])
        #expect(try await upload.complete(partCount: 2) == .created)
        #expect(try dir.read("obj") == [1, 2, 3, 4, 5])
    }
}

/// Forwards everything but `beginUpload`, so the protocol's default is what runs.
struct PlainStore: ObjectStore {
    let inner: FileSystemStore
    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutOutcome {
        try await inner.put(key, body: body, options: options)
    }
    func putFile(_ key: String, path: String, size: Int, options: PutOptions) async throws -> PutOutcome {
        try await inner.putFile(key, path: path, size: size, options: options)
    }
    func get(_ key: String) async throws -> ObjectDownload { try await inner.get(key) }
    func head(_ key: String) async throws -> ObjectInfo? { try await inner.head(key) }
    func list(prefix: String, delimiter: String?) async throws -> ObjectListing {
        try await inner.list(prefix: prefix, delimiter: delimiter)
    }
    func delete(_ key: String) async throws { try await inner.delete(key) }
    func checkBucket() async throws -> BucketStatus { try await inner.checkBucket() }
}
