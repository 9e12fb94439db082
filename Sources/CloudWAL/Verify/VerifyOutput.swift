/// `verify`'s output: one console line per finding and a summary, or one JSON object with the
/// same content (through the one JSON writer).
public enum VerifyOutput {
    public static func consoleLines(_ report: VerifyReport) -> [String] {
        var lines = report.findings.map { finding in
            "\(finding.severity == .failure ? "FAILED " : "WARNING") \(describe(finding.subject)): \(finding.message)"
        }
        for id in report.backupIDs where report.isRestorable(id) {
            lines.append("OK      backup \(id)")
        }
        lines.append(summary(report))
        return lines
    }

    public static func summary(_ report: VerifyReport) -> String {
        let totals = report.totals
        let verdict = report.failures.isEmpty ? "OK" : "PROBLEMS FOUND"
        return "\(verdict): \(totals.backupsChecked) backup\(totals.backupsChecked == 1 ? "" : "s"), "
            + "\(totals.segmentsChecked) WAL segment\(totals.segmentsChecked == 1 ? "" : "s") checked, "
            + "\(ByteFormat.string(totals.bytesRead)) read in \(fixed(totals.seconds)) s "
            + "(\(fixed(totals.mebibytesPerSecond)) MiB/s); "
            + "\(report.failures.count) failure\(report.failures.count == 1 ? "" : "s"), "
            + "\(report.warnings.count) warning\(report.warnings.count == 1 ? "" : "s")"
    }

    public static func json(_ report: VerifyReport) -> JSONText {
        let totals = report.totals
        let backups = report.backupIDs.map { id in
            JSONText.object([.init("backup_id", .string(id)), .init("restorable", .bool(report.isRestorable(id)))])
        }
        let findings = report.findings.map { finding in
            var members: [JSONText.Member] = [
                .init("severity", .string(finding.severity.rawValue)),
                .init("check", .string(finding.check.rawValue)),
            ]
            switch finding.subject {
            case .backup(let id): members.append(.init("backup_id", .string(id)))
            case .timeline(let timeline): members.append(.init("timeline", .int(Int(timeline))))
            case .archive: break
            }
            members.append(.init("key", .optional(finding.key)))
            members.append(.init("message", .string(finding.message)))
            return JSONText.object(members)
        }
        return .object([
            .init("ok", .bool(report.failures.isEmpty)),
            .init("backups", .array(backups)),
            .init("findings", .array(findings)),
            .init("summary", .object([
                .init("backups_checked", .int(totals.backupsChecked)),
                .init("segments_checked", .int(totals.segmentsChecked)),
                .init("bytes_read", .int(Int(totals.bytesRead))),
                .init("seconds", .float(rounded(totals.seconds))),
                .init("mib_per_second", .float(rounded(totals.mebibytesPerSecond))),
                .init("failures", .int(report.failures.count)),
                .init("warnings", .int(report.warnings.count)),
            ])),
        ])
    }

    static func describe(_ subject: VerifyFinding.Subject) -> String {
        switch subject {
        case .backup(let id): "backup \(id)"
        case .timeline(let timeline): "timeline \(timeline)"
        case .archive: "archive"
        }
    }

    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    static func fixed(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
