#if canImport(CloudWAL)
import CloudWAL
#endif

/// `backup.info` files: one that parses reads back equal from the text we would write for it,
/// its typed fields can be read whatever they hold, and what the setters write reads back.
enum BackupInfoProperties {
    static func check(_ bytes: [UInt8]) -> [String] {
        var violations = FuzzViolations()
        let text = String(decoding: bytes, as: UTF8.self)
        let quoted = FuzzViolations.quote(String(text.prefix(120)))
        guard var info = try? BackupInfo(backupID: "20240101T000000", text: text) else { return violations.messages }

        let again = try? BackupInfo(backupID: info.backupID, text: info.text)
        violations.expect(again == info, "\(quoted): does not read back from its own text")

        // Every typed getter on whatever the file holds (these parse Python literals and times).
        _ = (info.version, info.timeline, info.beginOffset, info.endOffset, info.size, info.clusterSize)
        _ = (info.xlogSegmentSize, info.backupLabel, info.tablespaces, info.isUsable, info.backupName)
        for (key, time) in [("begin_time", info.beginTime), ("end_time", info.endTime)] {
            guard let time else { continue }
            let reparsed = try? Timestamp(parsing: time.description)
            violations.expect(reparsed == time, "\(quoted): \(key) \(time) does not read back from its text")
        }

        // Setters write what getters read, whatever the text (a label may hold any characters).
        do {
            let label = info.raw("begin_wal") ?? text
            info.backupLabel = label
            violations.expect(info.backupLabel == label, "\(quoted): backup_label does not read back")
            let tablespaces = [BackupInfo.Tablespace(name: label, oid: text.utf8.count, location: "/" + label)]
            info.tablespaces = tablespaces
            violations.expect(info.tablespaces == tablespaces, "\(quoted): tablespaces do not read back")
            let reread = try? BackupInfo(backupID: info.backupID, text: info.text)
            violations.expect(reread?.backupLabel == label, "\(quoted): backup_label does not survive the file")
            violations.expect(reread?.tablespaces == tablespaces, "\(quoted): tablespaces do not survive the file")
        }
        return violations.messages
    }
}
