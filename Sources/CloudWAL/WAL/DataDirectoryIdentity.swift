/// Which cluster a data directory belongs to: the system identifier `initdb` chose, which
/// PostgreSQL also writes into every segment's long page header.
///
/// `restore_command` runs in the data directory, so comparing the two refuses to hand one
/// cluster's WAL to another (a restore_command pointed at the wrong server folder would otherwise
/// feed foreign WAL into recovery, which PostgreSQL notices only once it reads the segment).
public enum DataDirectoryIdentity {
    /// The system identifier stored at the start of `global/pg_control` in `directory`, or nil
    /// when `directory` is no data directory (no `PG_VERSION` or no `global/pg_control`).
    /// Throws `SystemError` when the control file is there but cannot be read.
    public static func systemIdentifier(ofDataDirectory directory: String) throws -> UInt64? {
        let control = "\(directory)/global/pg_control"
        guard FileSystemOps.exists("\(directory)/PG_VERSION"), FileSystemOps.exists(control) else { return nil }
        let handle = try FileHandle.openForReading(control)
        defer { try? handle.close() }
        var bytes = [UInt8](repeating: 0, count: 8)
        let count = try bytes.withUnsafeMutableBytes { try handle.readFully(into: $0) }
        // `ControlFileData.system_identifier` is the first field, in the machine's byte order.
        guard count == 8 else { return nil }
        return bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
