#if canImport(CloudWAL)
import CloudWAL
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging

/// Extraction confinement: whatever bytes a tar stream holds, extracting it changes nothing
/// outside the destination directory, not even through symlinks planted beforehand or by the
/// archive itself, and not the attributes of the directories around it.
///
/// Each input is extracted into `sandbox/root`, beside `sandbox/outside` (a file and a
/// directory) and with `root/preexisting -> ../outside` and `root/planted -> ../outside/victim`
/// in place; afterwards `sandbox` must hold exactly `outside` and `root`, with `outside`, its
/// contents and `sandbox` itself as they were.
enum TarExtractionProperties {
    static func check(_ bytes: [UInt8]) -> [String] {
        var violations = FuzzViolations()
        let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
        for (variant, input) in [("as given", bytes), ("checksums fixed", TarFuzzInput.fixingChecksums(bytes))] {
            guard let sandbox = FuzzSandbox() else {
                violations.expect(false, "tar-extract: could not create a sandbox (errno \(errno))")
                return violations.messages
            }
            defer { sandbox.remove() }
            let before = sandbox.snapshotOutside()
            let extractor = TarExtractor(destination: sandbox.root, logger: logger)
            var reader = TarReader()
            do {
                try input.withUnsafeBytes { try reader.feed($0, into: extractor) }
                try reader.finish()
                try extractor.finish()
            } catch {
                // Refusing is fine; what matters is what the attempt left outside the root.
            }
            let after = sandbox.snapshotOutside()
            if before != after {
                let changed = after.filter { !before.contains($0) } + before.filter { !after.contains($0) }
                violations.expect(false, "tar-extract (\(variant)): changed outside the root: \(changed.prefix(4))")
            }
        }
        return violations.messages
    }
}

/// A scratch directory tree in memory-backed storage when there is one (the extractor fsyncs).
struct FuzzSandbox {
    let path: String
    var root: String { path + "/root" }

    init?() {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        var template = Array((base + "/cloud-wal-fuzz.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { return nil }
        path = String(cString: made)
        guard mkdir(path + "/outside", 0o755) == 0, mkdir(path + "/outside/dir", 0o755) == 0,
            mkdir(root, 0o755) == 0, symlink("../outside", root + "/preexisting") == 0,
            symlink("../outside/victim", root + "/planted") == 0
        else { return nil }
        let fd = open(path + "/outside/victim", O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { return nil }
        _ = write(fd, "victim\n", 7)
        close(fd)
    }

    /// What may not change: `sandbox` itself and every entry except those under `root`.
    func snapshotOutside() -> [String] {
        var lines = [Self.describe(path, as: ".")]
        for name in Self.names(in: path) where name != "root" {
            Self.walk(path + "/" + name, as: name, into: &lines)
        }
        return lines.sorted()
    }

    func remove() { Self.removeTree(path) }

    private static func walk(_ path: String, as relative: String, into lines: inout [String]) {
        lines.append(describe(path, as: relative))
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return }
        for name in names(in: path) { walk(path + "/" + name, as: relative + "/" + name, into: &lines) }
    }

    /// Type, mode, owner, size, modification time, link target and (for files) content.
    private static func describe(_ path: String, as relative: String) -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else { return "\(relative) missing" }
        var line = "\(relative) type=\(info.st_mode & S_IFMT) mode=\(String(info.st_mode & 0o7777, radix: 8)) "
            + "owner=\(info.st_uid):\(info.st_gid) size=\(info.st_size) mtime=\(info.st_mtim.tv_sec)"
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: 4096)
            let count = readlink(path, &target, target.count - 1)
            if count >= 0 { line += " -> " + String(decoding: target[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        case S_IFREG:
            let fd = open(path, O_RDONLY | O_NOFOLLOW)
            if fd >= 0 {
                var buffer = [UInt8](repeating: 0, count: 256)
                let count = read(fd, &buffer, buffer.count)
                close(fd)
                if count >= 0 { line += " content=\(buffer[..<count])" }
            }
        default: break
        }
        return line
    }

    private static func names(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var result: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { result.append(name) }
        }
        return result.sorted()
    }

    /// Removes a tree the archive may have left unreadable (mode 0 directories), without following links.
    private static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            chmod(path, 0o700)
            for name in names(in: path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
