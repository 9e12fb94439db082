import CloudWAL
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Every entry under a directory, seen without following symlinks: path, type, mode, owner,
/// size, SHA-256 of regular files, target of symlinks. Two snapshots are equal only if nothing
/// under the directory was created, removed, replaced or changed, which is what "the refused
/// request touched nothing in PGDATA" means.
struct SidecarTreeSnapshot: Equatable, CustomStringConvertible {
    struct Entry: Equatable, CustomStringConvertible {
        let path: String
        let type: String
        let mode: UInt32
        let owner: UInt32
        let size: Int64
        let sha256: String?
        let linkTarget: String?
        let inode: UInt64

        var description: String {
            "\(path) \(type) \(String(mode, radix: 8)) uid \(owner) \(size) \(sha256?.prefix(12) ?? "") \(linkTarget ?? "")"
        }
    }

    let root: String
    let entries: [Entry]

    var description: String { entries.map(\.description).joined(separator: "\n") }

    init(_ root: String, skipping skipped: Set<String> = []) throws {
        self.root = root
        var entries: [Entry] = []
        try Self.walk(root, relative: "", skipped: skipped, into: &entries)
        self.entries = entries
    }

    /// The entries that differ, for failure messages.
    func differences(from other: SidecarTreeSnapshot) -> [String] {
        let mine = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let theirs = Dictionary(other.entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String] = []
        for path in Set(mine.keys).union(theirs.keys).sorted() where mine[path] != theirs[path] {
            out.append("before: \(mine[path]?.description ?? "(none) \(path)") / after: \(theirs[path]?.description ?? "(none)")")
        }
        return out
    }

    private static func walk(_ root: String, relative: String, skipped: Set<String>, into entries: inout [Entry]) throws {
        let directory = relative.isEmpty ? root : root + "/" + relative
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            if skipped.contains(path) { continue }
            let full = root + "/" + path
            var info = stat()
            guard lstat(full, &info) == 0 else { throw HarnessError("lstat \(full): errno \(errno)") }
            let format = info.st_mode & S_IFMT
            var type = "other"
            var digest: String?
            var target: String?
            switch format {
            case S_IFREG:
                type = "file"
                digest = try sha256(full)
            case S_IFDIR: type = "dir"
            case S_IFLNK:
                type = "symlink"
                target = try FileManager.default.destinationOfSymbolicLink(atPath: full)
            case S_IFIFO: type = "fifo"
            case S_IFSOCK: type = "socket"
            default: break
            }
            entries.append(Entry(
                path: path, type: type, mode: UInt32(info.st_mode & 0o7777), owner: UInt32(info.st_uid),
                size: Int64(info.st_size), sha256: digest, linkTarget: target, inode: UInt64(info.st_ino)))
            if format == S_IFDIR { try walk(root, relative: path, skipped: skipped, into: &entries) }
        }
    }

    private static func sha256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw HarnessError("cannot read \(path)") }
        defer { try? handle.close() }
        var digest = ContentDigest()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            digest.update(Array(chunk))
        }
        return digest.finalize()
    }
}
