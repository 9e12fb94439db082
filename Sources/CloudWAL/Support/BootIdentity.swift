/// The running kernel's boot id (`/proc/sys/kernel/random/boot_id`, new at every boot).
///
/// Data written without fsync lives in the page cache, which every process on the machine sees
/// and which only a crash of the machine itself can lose; such a crash is always followed by a
/// new boot. So a file written in this boot and complete when its writer renamed it is complete
/// for any reader in this boot, and the boot id is what tells a reader which boot wrote it.
public enum BootIdentity {
    public static let path = "/proc/sys/kernel/random/boot_id"

    /// `nil` where the kernel does not say (not Linux, no /proc): callers then fsync instead.
    public static func current() -> String? {
        guard let handle = try? FileHandle.openForReading(path) else { return nil }
        defer { try? handle.close() }
        var buffer = [UInt8](repeating: 0, count: 64)
        guard let count = try? buffer.withUnsafeMutableBytes({ try handle.readFully(into: $0) }) else { return nil }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self).filter { !$0.isWhitespace }
        // A UUID: 36 characters of hex digits and dashes.
        guard text.count == 36, text.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { return nil }
        return text
    }
}
