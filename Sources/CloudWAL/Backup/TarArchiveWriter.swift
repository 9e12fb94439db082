#if canImport(Glibc)
import Glibc
#endif

/// A backup's tar for one source (`data` or a tablespace oid), split as barman-cloud splits it:
/// when the current object has grown past `maxArchiveSize`, it is closed as a complete tar and
/// the next entry starts `<name>_0001.tar`, `<name>_0002.tar`, ...
public final class TarArchiveWriter {
    public struct Settings: Sendable {
        public var store: any ObjectStore
        public var layout: ArchiveLayout
        public var backupID: String
        public var compression: Compression?
        public var level: CompressionLevel
        public var partSize: Int
        public var jobs: Int
        public var maxArchiveSize: Int
        public var options: PutOptions
        /// Client-side encryption of every tar (`.cwenc`); nil stores them as barman-cloud does.
        public var encryption: (any ObjectKeyProvider)?

        public init(
            store: any ObjectStore, layout: ArchiveLayout, backupID: String, compression: Compression?,
            level: CompressionLevel, partSize: Int, jobs: Int, maxArchiveSize: Int, options: PutOptions,
            encryption: (any ObjectKeyProvider)? = nil
        ) {
            self.encryption = encryption
            self.store = store
            self.layout = layout
            self.backupID = backupID
            self.compression = compression
            self.level = level
            self.partSize = partSize
            self.jobs = jobs
            self.maxArchiveSize = maxArchiveSize
            self.options = options
        }
    }

    private let settings: Settings
    private let name: String
    private let progress: BackupProgress
    private var current: TarObjectWriter?
    private var part = 0
    private(set) var finished: [TarObjectWriter.Result] = []
    private var readBuffer = [UInt8](repeating: 0, count: 1 << 20)

    public init(name: String, settings: Settings, progress: BackupProgress) {
        self.name = name
        self.settings = settings
        self.progress = progress
    }

    /// Adds an entry whose content, for a file, is read from `sourcePath`. A file that shrank since
    /// it was listed is padded with zeros to the size in its header and one that grew is cut at
    /// it, as pg_basebackup does: WAL replay from the backup's start rewrites such pages.
    /// Returns `false` when the file vanished before it could be opened (dropped relations).
    @discardableResult
    public func add(_ entry: TarEntry, sourcePath: String?) async throws -> Bool {
        var handle: FileHandle?
        if case .file = entry.kind, let sourcePath {
            do {
                handle = try FileHandle.openForReading(sourcePath)
            } catch let error as SystemError where error.isNotFound {
                return false
            }
        }
        let writer = try await writerForNextEntry()
        try await writer.write(TarFormat.header(for: entry))
        if let handle {
            var remaining = entry.size
            while remaining > 0 {
                let wanted = min(remaining, readBuffer.count)
                let count = try readBuffer.withUnsafeMutableBytes { buffer in
                    try handle.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]))
                }
                if count == 0 { break }
                try readBuffer.withUnsafeBytes { try writer.ingest(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                try await writer.flush()
                remaining -= count
                progress.add(count)
            }
            try? handle.close()
            if remaining > 0 {
                try await writer.write([UInt8](repeating: 0, count: remaining))
            }
        }
        try await writer.write(TarFormat.padding(for: entry.size))
        return true
    }

    /// Adds an entry whose content is in memory (backup_label, generated files).
    public func add(path: String, contents: [UInt8], mode: Int, mtime: Int) async throws {
        let writer = try await writerForNextEntry()
        let entry = TarEntry(path: path, kind: .file(size: contents.count), mode: mode, mtime: mtime)
        try await writer.write(TarFormat.header(for: entry))
        try await writer.write(contents)
        try await writer.write(TarFormat.padding(for: contents.count))
    }

    /// Closes the last object; the tar set is then complete in the store.
    public func finish() async throws -> [TarObjectWriter.Result] {
        if current == nil { _ = try await writerForNextEntry() }
        try await closeCurrent()
        return finished
    }

    public func abort() async {
        await current?.abort()
        current = nil
    }

    private func writerForNextEntry() async throws -> TarObjectWriter {
        if let current, current.producedBytes <= settings.maxArchiveSize { return current }
        if current != nil {
            try await closeCurrent()
            part += 1
        }
        let layout = settings.layout
        let key = layout.tarKey(
            settings.backupID, name: name, part: part, compression: settings.compression,
            encrypted: settings.encryption != nil)
        let identity = layout.backupObjectIdentity(key: key)
        let writer = try await TarObjectWriter(
            store: settings.store, key: key, compression: settings.compression, level: settings.level,
            partSize: settings.partSize, jobs: settings.jobs, options: settings.options,
            encryption: settings.encryption.map { (keys: $0, identity: identity) })
        current = writer
        return writer
    }

    private func closeCurrent() async throws {
        guard let writer = current else { return }
        try await writer.write(TarFormat.trailer)
        finished.append(try await writer.finish())
        progress.addStored(writer.storedBytes)
        current = nil
    }
}
