#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The keyring on disk: read only when it is a regular file owned by the user running us and
/// unreadable to anyone else, and changed only by atomic replacement.
public enum KeyringFile {
    /// More than any sensible keyring; a bound on what is read.
    static let maxSize = 1 << 20

    /// Reads and checks the keyring at `path`. The checks are made on the opened file (`fstat`),
    /// so what is judged is what is read.
    public static func load(_ path: String) throws -> Keyring {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw EncryptionError(.keyringInvalid, "cannot open keyring \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw EncryptionError(.keyringInvalid, "cannot stat keyring \(path): \(String(cString: strerror(errno)))")
        }
        try checkOwnership(info, path: path)
        guard Int(info.st_size) <= maxSize else {
            throw EncryptionError(.keyringInvalid, "keyring \(path) is larger than \(maxSize) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + total }, $0.count - total) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else {
                throw EncryptionError(.keyringInvalid, "cannot read keyring \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            total += count
        }
        guard total <= maxSize else { throw EncryptionError(.keyringInvalid, "keyring \(path) grew while being read") }
        return try Keyring.parse(Array(bytes[..<total]), origin: path)
    }

    static func checkOwnership(_ info: stat, path: String) throws {
        try judge(isRegularFile: info.st_mode & S_IFMT == S_IFREG, owner: info.st_uid, mode: info.st_mode, path: path)
    }

    /// A regular file, owned by the effective user, with no group or other permission bits:
    /// the keys are secrets.
    public static func judge(isRegularFile: Bool, owner: uid_t, mode: mode_t, path: String) throws {
        guard isRegularFile else {
            throw EncryptionError(.keyringInvalid, "keyring \(path) is not a regular file")
        }
        guard owner == geteuid() else {
            throw EncryptionError(
                .keyringInvalid, "keyring \(path) is owned by uid \(owner), not by this user (uid \(geteuid()))")
        }
        let mode = mode & 0o777
        guard mode & 0o077 == 0 else {
            throw EncryptionError(
                .keyringInvalid,
                "keyring \(path) has mode 0\(String(mode, radix: 8)), open to group or others; chmod 600 it")
        }
    }

    /// What `add` did.
    public struct Added: Sendable, Equatable {
        public let name: String
        public let keyCount: Int
        public let created: Bool
    }

    /// `cloud-wal keyring add`: puts a new random key named `name` (by default `key-<UTC time>`)
    /// first in the keyring at `path`, creating the file (mode 0600) when absent. The file is
    /// replaced atomically and durably: a crash leaves the old keyring or the new one.
    public static func add(_ path: String, name: String? = nil, now: Timestamp = .now()) throws -> Added {
        let name = name ?? "key-" + now.backupID
        let key = try Keyring.Key.random(name: name)
        let exists = FileSystemOps.exists(path)
        let keyring = exists
            ? try load(path).adding(key)
            : try Keyring(keys: [key], origin: path)
        try writeDurably(keyring.serialized(), to: path, replacing: exists)
        return Added(name: name, keyCount: keyring.keys.count, created: !exists)
    }

    /// Writes a 0600 temporary file beside `path`, fsyncs it, then links it into place (a new
    /// keyring never replaces one that appeared meanwhile) or renames it over the old one.
    static func writeDurably(_ bytes: [UInt8], to path: String, replacing: Bool) throws {
        let temporary = FileSystemOps.temporarySibling(of: path)
        defer { try? FileSystemOps.remove(temporary) }
        do {
            let handle = try FileHandle.createExclusive(temporary, mode: 0o600)
            try handle.write(bytes)
            try handle.sync()
            try handle.close()
            if replacing {
                try FileSystemOps.rename(temporary, to: path)
            } else {
                try FileSystemOps.link(temporary, to: path)
            }
            try FileSystemOps.remove(temporary)
            try FileSystemOps.syncDirectory(FileSystemOps.directory(of: path))
        } catch let error as SystemError where error.isAlreadyExists && !replacing {
            throw EncryptionError(.localIO, "keyring \(path) appeared while it was being created; run again")
        } catch let error as SystemError {
            throw EncryptionError(.localIO, "cannot write keyring \(path): \(error.reason)")
        }
    }
}
