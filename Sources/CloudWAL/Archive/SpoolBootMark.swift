/// Which boot the spool's segments were written in.
///
/// The prefetcher writes spooled segments without fsync: on a loaded machine an fsync waits for
/// every dirty page of the filesystem's journal transaction (PostgreSQL's replay writes plenty),
/// which made each prefetched segment cost ~100-300 ms. Without fsync a spooled file is complete
/// for as long as the machine stays up; after a crash of the machine it may be torn. So the
/// prefetcher first removes every segment an earlier boot left, then records this boot's id in
/// `.prefetch.boot`, and a call hands a spooled segment over only while the recorded id is the
/// running kernel's. A mark lost or stale after a crash can only name an earlier boot, which makes
/// the spool's segments be ignored and removed, never served.
extension WALSpool {
    public static let bootMarkFileName = ".prefetch.boot"

    private var bootMarkPath: String { directory + "/" + Self.bootMarkFileName }

    /// The boot id recorded by the prefetcher of this boot, if any.
    func recordedBoot() -> String? {
        guard let handle = try? FileHandle.openForReading(bootMarkPath) else { return nil }
        defer { try? handle.close() }
        var buffer = [UInt8](repeating: 0, count: 64)
        guard let count = try? buffer.withUnsafeMutableBytes({ try handle.readFully(into: $0) }) else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    /// Whether spooled segments may be handed over without re-reading them: written in this boot,
    /// or written durably (no boot id here, so the prefetcher fsyncs).
    func segmentsAreFromThisBoot() -> Bool {
        guard let boot = BootIdentity.current() else { return true }
        return recordedBoot() == boot
    }

    /// For the prefetcher, holding the spool's lock, before it writes anything: removes what an
    /// earlier boot left and records this boot. Returns whether its downloads may skip fsync.
    func claimForThisBoot() throws -> Bool {
        guard let boot = BootIdentity.current() else { return false }
        if recordedBoot() == boot { return true }
        discardSpooledSegments()
        let temporary = FileSystemOps.temporarySibling(of: bootMarkPath)
        let handle = try FileHandle.createExclusive(temporary, mode: 0o600)
        do {
            try handle.write(Array(boot.utf8))
            try handle.close()
            try FileSystemOps.rename(temporary, to: bootMarkPath)
        } catch {
            try? FileSystemOps.remove(temporary)
            throw error
        }
        return true
    }

    /// Removes every complete segment in the spool (never the bookkeeping files).
    func discardSpooledSegments() {
        for name in spooledSegments() { try? FileSystemOps.remove(path(for: name)) }
    }
}
