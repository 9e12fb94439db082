import CloudWAL
import Foundation
import Testing

/// The streaming tar reader against archives written by GNU tar and Python's tarfile (what
/// barman-cloud uses), fed in chunks of every awkward size.
@Suite("TarReader")
struct TarReaderTests {
    /// A source tree with everything a data directory can hold and then some.
    private func makeTree(in root: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/src/base/1", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/src/" + TarTool.longDirectory, withIntermediateDirectories: true)
        try Data(TestData.segment(size: 70_000, seed: 3)).write(to: URL(fileURLWithPath: root + "/src/base/1/1259"))
        try Data().write(to: URL(fileURLWithPath: root + "/src/empty"))
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: root + "/src/\(TarTool.longDirectory)/\(TarTool.longFile)"))
        try fm.createSymbolicLink(atPath: root + "/src/link", withDestinationPath: "base/1/1259")
        try fm.createSymbolicLink(
            atPath: root + "/src/longlink", withDestinationPath: TarTool.longDirectory + "/" + TarTool.longFile)
        try fm.linkItem(atPath: root + "/src/base/1/1259", toPath: root + "/src/hard")
        try fm.setAttributes([.posixPermissions: 0o640], ofItemAtPath: root + "/src/empty")
    }

    private func checkMembers(_ sink: CollectingSink, format: String) throws {
        let segment = TestData.segment(size: 70_000, seed: 3)
        let long = "./" + TarTool.longDirectory + "/" + TarTool.longFile
        #expect(sink.member("./base/1/1259")?.content == segment, "\(format)")
        #expect(sink.member("./base/1/1259")?.entry.kind == .file)
        #expect(sink.member(long)?.content == Array("hello\n".utf8), "\(format): long name")
        #expect(sink.member("./empty")?.entry.mode == 0o640)
        #expect(sink.member("./empty")?.content == [])
        #expect(sink.member("./link")?.entry.kind == .symlink)
        #expect(sink.member("./link")?.entry.linkTarget == "base/1/1259")
        #expect(sink.member("./longlink")?.entry.linkTarget == TarTool.longDirectory + "/" + TarTool.longFile,
                "\(format): long link target")
        // GNU tar stores the second name of a hard-linked pair as a link to the first.
        let hard = [sink.member("./hard"), sink.member("./base/1/1259")].compactMap { $0 }
        #expect(hard.contains { $0.entry.kind == .hardlink })
        #expect(sink.member("./" + TarTool.longDirectory + "/")?.entry.kind == .directory
                    || sink.member("./" + TarTool.longDirectory)?.entry.kind == .directory)
    }

    @Test("GNU tar archives in gnu, pax, posix and ustar formats", arguments: ["gnu", "pax", "posix", "ustar"])
    func gnuTar(format: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try makeTree(in: dir.path)
        if format == "ustar" {
            // ustar cannot hold a 124-byte final component: only the prefix split is tested here.
            try FileManager.default.removeItem(atPath: dir.path + "/src/" + TarTool.longDirectory + "/" + TarTool.longFile)
            try FileManager.default.removeItem(atPath: dir.path + "/src/longlink")
            try Data("short\n".utf8).write(to: URL(fileURLWithPath: dir.path + "/src/" + TarTool.longDirectory + "/f"))
        }
        try TarTool.run("/usr/bin/tar", ["--format=\(format)", "-cf", dir.path + "/a.tar", "-C", dir.path + "/src", "."])
        let bytes = try TarTool.read(dir.path + "/a.tar")
        for chunk in [1, 7, 511, 512, 513, 4096, 1 << 20] {
            let sink = CollectingSink()
            let reader = try TarTool.parse(bytes, chunkSize: chunk, into: sink)
            try reader.finish()
            #expect(reader.isAtEndOfArchive)
            if format == "ustar" {
                #expect(sink.member("./" + TarTool.longDirectory + "/f")?.content == Array("short\n".utf8))
                #expect(sink.member("./base/1/1259")?.content == TestData.segment(size: 70_000, seed: 3))
            } else {
                try checkMembers(sink, format: "\(format) chunk \(chunk)")
            }
        }
    }

    @Test("Python tarfile: GNU and pax formats, pax global headers, non-ASCII names")
    func pythonTarfile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let long = "p/" + String(repeating: "x", count: 150) + "/name-ünïcode"
        try TarTool.python("""
            import tarfile, io
            for fmt, name in ((tarfile.GNU_FORMAT, 'gnu.tar'), (tarfile.PAX_FORMAT, 'pax.tar')):
                kw = {'pax_headers': {'comment': 'global'}} if fmt == tarfile.PAX_FORMAT else {}
                with tarfile.open(name, 'w', format=fmt, **kw) as t:
                    d = tarfile.TarInfo('p'); d.type = tarfile.DIRTYPE; d.mode = 0o700; t.addfile(d)
                    data = bytes(range(256)) * 40
                    f = tarfile.TarInfo('\(long)'); f.size = len(data); f.mode = 0o600; f.mtime = 1700000000
                    f.uname = 'postgres'; f.gname = 'postgres'
                    t.addfile(f, io.BytesIO(data))
                    l = tarfile.TarInfo('p/l'); l.type = tarfile.SYMTYPE; l.linkname = '/' + 'y' * 200
                    t.addfile(l)
            """, in: dir.path)
        for name in ["gnu.tar", "pax.tar"] {
            let bytes = try TarTool.read(dir.path + "/" + name)
            for chunk in [1, 100, 10240] {
                let sink = CollectingSink()
                try TarTool.parse(bytes, chunkSize: chunk, into: sink).finish()
                #expect(sink.members.count == 3, "\(name)")
                #expect(sink.member(long)?.content == Array(repeating: Array(0...255), count: 40).flatMap { $0 })
                #expect(sink.member(long)?.entry.modificationTime == 1_700_000_000)
                #expect(sink.member(long)?.entry.userName == "postgres")
                #expect(sink.member("p/l")?.entry.linkTarget == "/" + String(repeating: "y", count: 200))
                // tarfile writes directory names with a trailing slash.
                #expect(sink.member("p/")?.entry.kind == .directory)
            }
        }
    }

    @Test("Truncated archives and bad checksums are errors")
    func truncated() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try makeTree(in: dir.path)
        try TarTool.run("/usr/bin/tar", ["-cf", dir.path + "/a.tar", "-C", dir.path + "/src", "."])
        let bytes = try TarTool.read(dir.path + "/a.tar")
        // Cut inside a member's content, exactly at a member boundary (no end marker), and after
        // the first of the two end blocks.
        for cut in [1000, 512, bytes.count - 10240 + 512] where cut < bytes.count {
            let reader = try TarTool.parse(Array(bytes[..<cut]), chunkSize: 4096, into: CollectingSink())
            #expect(throws: TarError.self) { try reader.finish() }
        }
        var corrupt = bytes
        corrupt[10] ^= 0x55
        #expect(throws: TarError.self) { _ = try TarTool.parse(corrupt, chunkSize: 4096, into: CollectingSink()) }
    }

    @Test("barman-cloud's split parts are separate archives, read one after another")
    func splitArchives() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try TarTool.python("""
            import tarfile, io
            for n, names in enumerate((('a', 'b'), ('c',))):
                with tarfile.open('part%d.tar' % n, 'w') as t:
                    for name in names:
                        data = name.encode() * 700
                        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
            """, in: dir.path)
        let sink = CollectingSink()
        var reader = TarReader()
        for part in ["part0.tar", "part1.tar"] {
            let bytes = try TarTool.read(dir.path + "/" + part)
            try bytes.withUnsafeBytes { try reader.feed($0, into: sink) }
            #expect(reader.isAtEndOfArchive)
            reader.startNextArchive()
        }
        #expect(sink.members.map(\.entry.path) == ["a", "b", "c"])
        #expect(sink.member("c")?.content == Array(String(repeating: "c", count: 700).utf8))
    }
}
