/// A backup's `cloudwal-manifest.json` against the store and against what its tars read back as.
public enum ManifestComparison {
    /// Every file the manifest lists is stored at its recorded size; no tar is stored that it
    /// lacks; it covers PGDATA and every tablespace of the backup.
    public static func findings(_ manifest: BackupManifest, evidence: BackupEvidence, wanted: [String]) -> [VerifyFinding] {
        let subject = evidence.subject
        var findings: [VerifyFinding] = []
        let listed = Set(manifest.files.map(\.key))
        for file in manifest.files.sorted(by: { $0.key < $1.key }) {
            guard let size = evidence.layout.sizes[file.key] else {
                findings.append(.failure(.backupObjects, subject, key: evidence.prefix + file.key,
                    "\(file.key) is in the manifest but not in the store"))
                continue
            }
            if size != file.storedBytes {
                findings.append(.failure(.backupObjects, subject, key: evidence.prefix + file.key,
                    "\(file.key) is \(size) bytes in the store, the manifest recorded \(file.storedBytes)"))
            }
        }
        for part in evidence.layout.parts where !listed.contains(part.fileName) {
            findings.append(.failure(.backupObjects, subject, key: part.key,
                "\(part.fileName) is in the store but not in the manifest"))
        }
        let covered = Set(manifest.files.compactMap { BackupTarName.parse($0.key)?.name })
        for name in wanted where !covered.contains(name) {
            findings.append(.failure(.backupObjects, subject, "the manifest lists no \(name).tar"))
        }
        return findings
    }

    /// One part's plain bytes against its manifest entry.
    public static func contentFindings(
        _ reading: ObjectReading, expected: BackupManifest.File, subject: VerifyFinding.Subject
    ) -> [VerifyFinding] {
        if reading.plainBytes != expected.tarBytes {
            return [.failure(.backupContent, subject, key: reading.key,
                "\(expected.key) holds \(reading.plainBytes) tar bytes, the manifest recorded \(expected.tarBytes)")]
        }
        if reading.sha256 != expected.sha256.lowercased() {
            return [.failure(.backupContent, subject, key: reading.key,
                "\(expected.key) has SHA-256 \(reading.sha256 ?? "?"), the manifest recorded \(expected.sha256)")]
        }
        if reading.storedBytes != expected.storedBytes {
            return [.failure(.backupContent, subject, key: reading.key,
                "\(expected.key) read back as \(reading.storedBytes) stored bytes, the manifest recorded \(expected.storedBytes)")]
        }
        return []
    }
}
