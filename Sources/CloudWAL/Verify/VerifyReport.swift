/// The outcome of one `verify` run: every finding and what was read.
public struct VerifyReport: Sendable {
    public struct Totals: Sendable, Equatable {
        public var backupsChecked = 0
        public var segmentsChecked = 0
        public var bytesRead: Int64 = 0
        public var seconds: Double = 0

        public init() {}

        public var mebibytesPerSecond: Double {
            seconds > 0 ? Double(bytesRead) / 1_048_576 / seconds : 0
        }
    }

    /// The backups verified, oldest first.
    public var backupIDs: [String]
    public var findings: [VerifyFinding]
    public var totals: Totals

    public init(backupIDs: [String], findings: [VerifyFinding], totals: Totals) {
        self.backupIDs = backupIDs
        self.findings = findings
        self.totals = totals
    }

    public var failures: [VerifyFinding] { findings.filter { $0.severity == .failure } }
    public var warnings: [VerifyFinding] { findings.filter { $0.severity == .warning } }

    /// 0 when nothing failed (warnings allowed), 1 when a problem was found.
    public var exitStatus: Int32 { failures.isEmpty ? ExitStatusPolicy.success : ExitStatusPolicy.failure }

    /// Whether a backup has a failure of its own.
    public func isRestorable(_ backupID: String) -> Bool {
        !findings.contains { $0.severity == .failure && $0.subject == .backup(backupID) }
    }
}
