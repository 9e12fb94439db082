/// The checks run on every verified backup, in order; each turns `BackupEvidence` into findings.
/// A new kind of backup brings a new check here (chain links of an incremental, decryption).
public enum BackupChecks {
    public typealias Check = @Sendable (BackupEvidence) -> [VerifyFinding]

    public static let all: [Check] = [record, objects, content, neededWAL]

    public static func findings(_ evidence: BackupEvidence) -> [VerifyFinding] {
        all.flatMap { $0(evidence) }
    }

    /// DONE, and the WAL positions a restore needs are recorded.
    public static let record: Check = { evidence in
        let info = evidence.info
        guard info.status == .done else {
            return [.failure(.backupRecord, evidence.subject,
                "status is \(info.status?.rawValue ?? "unknown"), not DONE: it cannot be restored")]
        }
        var missing: [String] = []
        if info.beginWAL.flatMap(WALFileName.init) == nil { missing.append("begin_wal") }
        if info.endWAL.flatMap(WALFileName.init) == nil { missing.append("end_wal") }
        if info.beginXLOG.flatMap(LSN.init) == nil { missing.append("begin_xlog") }
        guard missing.isEmpty else {
            return [.failure(.backupRecord, evidence.subject,
                "backup.info has no valid \(missing.joined(separator: ", ")): its WAL cannot be checked")]
        }
        return []
    }

    /// The objects in the store against the manifest, or against barman's layout without one.
    public static let objects: Check = { evidence in
        var findings: [VerifyFinding] = evidence.layout.unexpected.map { name in
            .warning(.backupObjects, evidence.subject, key: evidence.prefix + name,
                "\(name) is no part of a backup (left alone)")
        }
        let wanted = ["data"] + evidence.info.tablespaces.map { String($0.oid) }
        switch evidence.manifest {
        case .present(let manifest):
            findings += ManifestComparison.findings(manifest, evidence: evidence, wanted: wanted)
        case .unreadable(let reason):
            findings.append(.failure(.backupObjects, evidence.subject, key: evidence.prefix + BackupManifest.fileName, reason))
            findings += BackupChecks.layoutFindings(evidence, wanted: wanted)
        case .absent:
            findings += BackupChecks.layoutFindings(evidence, wanted: wanted)
        }
        return findings
    }

    /// Without a manifest: every tar barman-cloud would look for, parts numbered without a gap,
    /// none stored twice.
    static func layoutFindings(_ evidence: BackupEvidence, wanted: [String]) -> [VerifyFinding] {
        var findings: [VerifyFinding] = []
        for name in wanted {
            guard let parts = evidence.layout.tars[name], !parts.isEmpty else {
                findings.append(.failure(.backupObjects, evidence.subject, "\(name).tar is missing"))
                continue
            }
            var expected = 0
            for part in parts {
                if part.index < expected {
                    findings.append(.failure(.backupObjects, evidence.subject, key: part.key,
                        "\(part.fileName) is part \(part.index) of \(name) stored a second time"))
                    continue
                }
                if part.index > expected {
                    let gap = BackupTarName.fileName(name: name, part: expected, compression: part.compression)
                    let missing = part.index - 1 == expected ? "part \(expected)" : "parts \(expected) to \(part.index - 1)"
                    findings.append(.failure(.backupObjects, evidence.subject, "\(gap) is missing (\(missing) of \(name))"))
                }
                expected = part.index + 1
            }
        }
        for name in evidence.layout.tars.keys.sorted() where !wanted.contains(name) {
            findings.append(.warning(.backupObjects, evidence.subject,
                "\(name).tar belongs to no tablespace of the backup (a restore ignores it)"))
        }
        return findings
    }

    /// What reading the tars found; without a manifest, the note that nothing could be compared.
    public static let content: Check = { evidence in
        var findings: [VerifyFinding] = []
        for name in evidence.readings.keys.sorted() {
            guard let reading = evidence.readings[name] else { continue }
            if let problem = reading.problem {
                findings.append(.failure(.backupContent, evidence.subject, key: reading.key, problem))
                continue
            }
            guard let expected = evidence.manifest.manifest?.files.first(where: { $0.key == name }) else { continue }
            findings += ManifestComparison.contentFindings(reading, expected: expected, subject: evidence.subject)
        }
        if evidence.manifest == .absent, evidence.info.status == .done {
            findings.append(.warning(.backupUnchecksummed, evidence.subject,
                "no checksums (no \(BackupManifest.fileName), as barman-cloud writes none): every tar read to its end only"))
        }
        return findings
    }

    /// The WAL from `begin_wal` to `end_wal`: without every segment the backup never becomes consistent.
    public static let neededWAL: Check = { evidence in
        let missing = evidence.neededWAL.filter { $0.state == .missing }.map(\.name)
        let damaged = evidence.neededWAL.filter { $0.state == .damaged }.map(\.name)
        var findings: [VerifyFinding] = []
        if !missing.isEmpty {
            findings.append(.failure(.backupWAL, evidence.subject,
                "cannot be restored: WAL \(BackupChecks.listed(missing)) between its begin and end WAL is not archived"))
        }
        if !damaged.isEmpty {
            findings.append(.failure(.backupWAL, evidence.subject,
                "cannot be restored: WAL \(BackupChecks.listed(damaged)) between its begin and end WAL is damaged"))
        }
        return findings
    }

    static func listed(_ names: [String]) -> String {
        names.count <= 3 ? names.joined(separator: ", ") : "\(names[0]) and \(names.count - 1) more up to \(names[names.count - 1])"
    }
}
