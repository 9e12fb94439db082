/// One thing `verify` found: about a backup, a timeline's WAL, or the archive as a whole.
///
/// Every check produces findings and nothing else, so a new check (chain links of incremental
/// backups, decryption) is a new `VerifyCheck` case and a function that returns findings; the
/// report, the console lines, the JSON and the exit status follow without change.
public struct VerifyFinding: Sendable, Equatable {
    public enum Severity: String, Sendable, Equatable {
        /// Something a restore would trip over: the exit status is 1.
        case failure
        /// Worth knowing, restores still work (no recorded checksums, a leftover object).
        case warning
    }

    /// What the finding is about.
    public enum Subject: Sendable, Hashable {
        case backup(String)
        case timeline(UInt32)
        case archive
    }

    public let severity: Severity
    public let check: VerifyCheck
    public let subject: Subject
    /// The object concerned, when there is one.
    public let key: String?
    /// One line, no secrets.
    public let message: String

    public init(_ severity: Severity, _ check: VerifyCheck, _ subject: Subject, key: String? = nil, _ message: String) {
        self.severity = severity
        self.check = check
        self.subject = subject
        self.key = key
        self.message = message
    }

    public static func failure(_ check: VerifyCheck, _ subject: Subject, key: String? = nil, _ message: String) -> Self {
        Self(.failure, check, subject, key: key, message)
    }

    public static func warning(_ check: VerifyCheck, _ subject: Subject, key: String? = nil, _ message: String) -> Self {
        Self(.warning, check, subject, key: key, message)
    }
}

/// The checks `verify` runs; the raw value is the stable name in the JSON output.
public enum VerifyCheck: String, Sendable, CaseIterable {
    /// The backup's `backup.info` is missing, unreadable, or its status is not DONE.
    case backupRecord = "backup-record"
    /// The tars in the store against the manifest (or, without one, against barman's layout).
    case backupObjects = "backup-objects"
    /// A tar's bytes: codec, uncompressed size and SHA-256, tar structure.
    case backupContent = "backup-content"
    /// A backup written without a manifest (barman-cloud): read to the end, no checksums to compare.
    case backupUnchecksummed = "backup-no-checksums"
    /// The WAL from the backup's begin to its end WAL, without which it never becomes consistent.
    case backupWAL = "backup-wal"
    /// Segments missing between a timeline's first needed and newest segment.
    case walGap = "wal-gap"
    /// One segment stored under two names (two compressions).
    case walDuplicate = "wal-duplicate"
    /// A timeline's `.history` file: present and parseable.
    case walHistory = "wal-history"
    /// One segment's bytes: codec, recorded SHA-256, size, page header, system identifier.
    case walSegment = "wal-segment"
    /// Segments without a recorded SHA-256 (barman-cloud records none): checked for size and header only.
    case walUnchecksummed = "wal-no-checksums"
}
