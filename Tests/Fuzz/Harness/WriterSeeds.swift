#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Tars as our base-backup writer lays them out (`TarFormat`: ustar, prefix split, pax for long
/// names and links), written into the `tar` corpus by `scripts/fuzz.sh --writer-seeds`.
enum WriterSeeds {
    static func write(to directory: String) -> Bool {
        let long = String(repeating: "segment-", count: 20)
        let archives: [(String, [(TarEntry, [UInt8])])] = [
            ("writer-pgdata", [
                (TarEntry(path: "", kind: .directory, mode: 0o700, uid: 101, gid: 102, mtime: 1_700_000_000), []),
                (TarEntry(path: "PG_VERSION", kind: .file(size: 3), mode: 0o600, uid: 101, gid: 102, mtime: 1_700_000_000), Array("15\n".utf8)),
                (TarEntry(path: "global", kind: .directory, mode: 0o700, mtime: 1_700_000_000), []),
                (TarEntry(path: "global/pg_control", kind: .file(size: 513), mode: 0o600, mtime: 1_700_000_000), [UInt8](repeating: 7, count: 513)),
                (TarEntry(path: "pg_tblspc/16385", kind: .symlink(target: "/srv/tbs1"), mode: 0o777, mtime: 1_700_000_000), []),
            ]),
            ("writer-long-names", [
                (TarEntry(path: "base/16384/" + long, kind: .file(size: 1), mode: 0o600), [1]),
                (TarEntry(path: "p/" + long + "/" + long, kind: .file(size: 0), mode: 0o600), []),
                (TarEntry(path: "link", kind: .symlink(target: "/" + long + long), mode: 0o777), []),
            ]),
            ("writer-empty", []),
        ]
        for (name, entries) in archives {
            var bytes: [UInt8] = []
            for (entry, content) in entries {
                bytes += TarFormat.header(for: entry) + content + TarFormat.padding(for: content.count)
            }
            bytes += TarFormat.trailer
            let path = directory + "/" + name
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { return false }
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard written == bytes.count else { return false }
        }
        return true
    }
}
