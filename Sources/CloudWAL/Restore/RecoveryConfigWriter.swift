#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Puts a `RecoveryConfig` into a restored data directory: `recovery.signal` (archive recovery,
/// not standby: a leftover `standby.signal` is removed), and the settings appended to
/// `postgresql.auto.conf`, which PostgreSQL reads last. Files are replaced atomically and fsynced.
struct RecoveryConfigWriter {
    let dataDirectory: String
    let owner: FileOwner

    func write(_ config: RecoveryConfig, backupID: String) throws {
        let autoConfPath = dataDirectory + "/postgresql.auto.conf"
        let existing = FileSystemOps.exists(autoConfPath) ? try Self.readText(autoConfPath) : ""
        let header = "Recovery settings written by cloud-wal restore of backup \(backupID) at \(Timestamp.now())"
        try Self.replaceFile(autoConfPath, contents: try config.autoConf(existing: existing, header: header), owner: owner)
        try Self.replaceFile(dataDirectory + "/recovery.signal", contents: "", owner: owner)
        do { try FileSystemOps.remove(dataDirectory + "/standby.signal") } catch let error as SystemError {
            throw BackupError(.localIO, "Cannot remove standby.signal: \(error)")
        }
        try FileSystemOps.syncDirectory(dataDirectory)
    }

    static func readText(_ path: String) throws -> String {
        do {
            let handle = try FileHandle.openForReading(path)
            let size = try handle.size()
            guard size <= 64 << 20 else { throw BackupError(.localIO, "\(path) is unexpectedly large") }
            var bytes = [UInt8](repeating: 0, count: size)
            let count = try bytes.withUnsafeMutableBytes { try handle.readFully(into: $0) }
            try handle.close()
            return String(decoding: bytes[..<count], as: UTF8.self)
        } catch let error as SystemError {
            throw BackupError(.localIO, "Cannot read \(path): \(error.reason)")
        }
    }

    /// Temp file beside `path`, fsync, rename over, fsync the directory: never a half-written file.
    static func replaceFile(_ path: String, contents: String, owner: FileOwner) throws {
        let temporary = FileSystemOps.temporarySibling(of: path)
        do {
            let handle = try FileHandle.createExclusive(temporary, mode: 0o600)
            try handle.write(Array(contents.utf8))
            try owner.apply(temporary)
            try handle.sync()
            try handle.close()
            try FileSystemOps.rename(temporary, to: path)
            try FileSystemOps.syncDirectory(FileSystemOps.directory(of: path))
        } catch let error as SystemError {
            try? FileSystemOps.remove(temporary)
            throw BackupError(.localIO, "Cannot write \(path): \(error)")
        }
    }
}
