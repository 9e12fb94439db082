import CloudWAL
import Foundation
import Testing

/// Extraction to disk: contents, links, modes, and archives that try to write outside.
@Suite("TarExtractor")
struct TarExtractorTests {
    private func extract(_ tarPath: String, into destination: String) throws {
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let extractor = TarExtractor(destination: destination, logger: TestData.quietLogger, applyArchiveOwners: false)
        let bytes = try TarTool.read(tarPath)
        let reader = try TarTool.parse(bytes, chunkSize: 3000, into: extractor)
        try reader.finish()
        try extractor.finish()
    }

    @Test("A GNU tar archive extracts to the same tree")
    func roundTrip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let fm = FileManager.default
        let src = dir.path + "/src"
        try fm.createDirectory(atPath: src + "/" + TarTool.longDirectory, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: src + "/ro", withIntermediateDirectories: true)
        try Data(TestData.segment(size: 100_000, seed: 9)).write(to: URL(fileURLWithPath: src + "/ro/file"))
        try Data("long".utf8).write(to: URL(fileURLWithPath: src + "/" + TarTool.longDirectory + "/" + TarTool.longFile))
        try fm.createSymbolicLink(atPath: src + "/abs-link", withDestinationPath: "/somewhere/else")
        try fm.linkItem(atPath: src + "/ro/file", toPath: src + "/hard")
        try fm.setAttributes([.posixPermissions: 0o500], ofItemAtPath: src + "/ro")
        defer { try? fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: src + "/ro") }
        try TarTool.run("/usr/bin/tar", ["--format=gnu", "-cf", dir.path + "/a.tar", "-C", src, "."])

        let out = dir.path + "/out"
        try extract(dir.path + "/a.tar", into: out)
        defer { try? fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: out + "/ro") }
        #expect(try TarTool.read(out + "/ro/file") == TestData.segment(size: 100_000, seed: 9))
        #expect(try TarTool.read(out + "/" + TarTool.longDirectory + "/" + TarTool.longFile) == Array("long".utf8))
        #expect(try fm.destinationOfSymbolicLink(atPath: out + "/abs-link") == "/somewhere/else")
        let first = try fm.attributesOfItem(atPath: out + "/ro/file")
        let second = try fm.attributesOfItem(atPath: out + "/hard")
        #expect(first[.systemFileNumber] as? Int == second[.systemFileNumber] as? Int)
        // Directory modes apply at the end, so a read-only directory still received its file.
        #expect((try fm.attributesOfItem(atPath: out + "/ro")[.posixPermissions] as? Int) == 0o500)
    }

    @Test("Members that escape the destination are refused", arguments: [
        "dotdot", "absolute", "through-symlink", "hardlink-out", "hardlink-through-symlink",
    ])
    func traversal(kind: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let outside = dir.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: URL(fileURLWithPath: outside + "/secret"))
        let members: String
        switch kind {
        case "dotdot": members = "[('file', 'ok', None), ('a/../../evil', 'x', None)]"
        case "absolute": members = "[('\(outside)/evil', 'x', None)]"
        case "through-symlink": members = "[('link', None, '\(outside)'), ('link/evil', 'x', None)]"
        case "hardlink-out": members = "[('h', 'hard', '../outside/secret')]"
        default: members = "[('link', None, '\(outside)'), ('h', 'hard', 'link/secret')]"
        }
        try TarTool.python("""
            import tarfile, io
            with tarfile.open('evil.tar', 'w', format=tarfile.GNU_FORMAT) as t:
                for name, data, target in \(members):
                    i = tarfile.TarInfo(name)
                    if data == 'hard':
                        i.type = tarfile.LNKTYPE; i.linkname = target; t.addfile(i)
                    elif target is not None:
                        i.type = tarfile.SYMTYPE; i.linkname = target; t.addfile(i)
                    else:
                        i.size = len(data); t.addfile(i, io.BytesIO(data.encode()))
            """, in: dir.path)
        #expect(throws: BackupError.self) { try extract(dir.path + "/evil.tar", into: dir.path + "/out") }
        #expect(!FileManager.default.fileExists(atPath: outside + "/evil"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/evil"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out/h"))
        #expect(try TarTool.read(outside + "/secret") == Array("secret".utf8))
    }
}

@Suite("Restore memory and ownership")
struct RestoreBoundsTests {
    @Test("A chunk that expands enormously is decompressed in bounded pieces", arguments: [Compression.zstd, .gzip])
    func boundedExpansion(codec: Compression) throws {
        let plain = [UInt8](repeating: 0, count: 96 << 20)
        let compressor = try codec.makeCompressor()
        var compressed: [UInt8] = []
        try plain.withUnsafeBytes { try compressor.compress($0, into: &compressed) }
        try compressor.finish(into: &compressed)
        var bounded = BoundedDecompression(try codec.makeDecompressor())
        var total = 0
        var largest = 0
        try compressed.withUnsafeBytes { input in
            try bounded.feed(input) { piece in
                total += piece.count
                largest = max(largest, piece.count)
                #expect(piece.allSatisfy { $0 == 0 })
            }
        }
        try bounded.decompressor.finish()
        #expect(total == plain.count)
        #expect(largest <= 40 << 20, "largest piece \(largest) bytes from \(compressed.count) compressed")
    }

    @Test("As root, every member takes the owner of the archive's top directory")
    func rootOwnership() throws {
        try requireRootAndNobody()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try TarTool.python("""
            import tarfile, io
            with tarfile.open('a.tar', 'w') as t:
                d = tarfile.TarInfo('.'); d.type = tarfile.DIRTYPE; d.mode = 0o700; d.uname = 'nobody'; d.uid = 65534
                t.addfile(d)
                f = tarfile.TarInfo('backup_label'); f.size = 2; f.uid = 0; f.gid = 0; t.addfile(f, io.BytesIO(b'ok'))
            """, in: dir.path)
        let out = dir.path + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let extractor = TarExtractor(destination: out, logger: TestData.quietLogger, applyArchiveOwners: true)
        try TarTool.parse(try TarTool.read(dir.path + "/a.tar"), chunkSize: 4096, into: extractor).finish()
        try extractor.finish()
        let nobody = Int(getpwnam("nobody")!.pointee.pw_uid)
        #expect(try FileManager.default.attributesOfItem(atPath: out + "/backup_label")[.ownerAccountID] as? Int == nobody)
        #expect(try FileManager.default.attributesOfItem(atPath: out)[.ownerAccountID] as? Int == nobody)
    }
}

/// Ownership is what a root restore sets, so these run as root, as CI and scripts/test.sh do
/// (PostgreSQL's tests need root to run servers as `postgres`); elsewhere they fail, never skip.
func requireRootAndNobody() throws {
    try #require(geteuid() == 0, "run the tests as root (scripts/test.sh): a root restore's chown is what is tested")
    try #require(getpwnam("nobody") != nil, "the tests need the standard 'nobody' account")
}

extension RestoreBoundsTests {
    @Test("As root, an archive without a top directory gives its first non-root owner to the destination")
    func implicitRootOwnership() throws {
        try requireRootAndNobody()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try TarTool.python("""
            import tarfile, io
            with tarfile.open('a.tar', 'w') as t:
                d = tarfile.TarInfo('PG_15_202209061'); d.type = tarfile.DIRTYPE; d.mode = 0o700; d.uname = 'nobody'
                d.uid = 65534; t.addfile(d)
                f = tarfile.TarInfo('PG_15_202209061/1'); f.size = 2; f.uid = 0; t.addfile(f, io.BytesIO(b'ok'))
            """, in: dir.path)
        let out = dir.path + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let extractor = TarExtractor(destination: out, logger: TestData.quietLogger, applyArchiveOwners: true)
        try TarTool.parse(try TarTool.read(dir.path + "/a.tar"), chunkSize: 4096, into: extractor).finish()
        try extractor.finish()
        let nobody = Int(getpwnam("nobody")!.pointee.pw_uid)
        for path in [out, out + "/PG_15_202209061", out + "/PG_15_202209061/1"] {
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.ownerAccountID] as? Int == nobody, "\(path)")
        }
    }
}
