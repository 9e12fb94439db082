/// The settings that make a restored cluster recover by itself: `recovery.signal`, and in
/// `postgresql.auto.conf` a `restore_command` calling our `wal-restore` plus the recovery target.
///
/// Quoting happens in three layers, innermost first: PostgreSQL replaces `%f`/`%p` in
/// `restore_command` (so a literal `%` is written `%%`), `/bin/sh` splits the result into words
/// (so each argument is single-quoted when it needs it), and the configuration file reads the
/// value as a quoted string (so `'` doubles and `\` is escaped).
public struct RecoveryConfig: Sendable, Equatable {
    /// The executable and the arguments before `%f %p`, e.g. `[/usr/bin/cloud-wal, wal-restore, --endpoint-url, ..., URL, SERVER]`.
    public var restoreCommandPrefix: [String]
    public var target: RecoveryTarget?
    public var timeline: TimelineTarget?
    public var action: RecoveryTargetAction?

    public init(
        restoreCommandPrefix: [String], target: RecoveryTarget? = nil, timeline: TimelineTarget? = nil,
        action: RecoveryTargetAction? = nil
    ) {
        self.restoreCommandPrefix = restoreCommandPrefix
        self.target = target
        self.timeline = timeline
        self.action = action
    }

    /// Settings this writer owns: earlier lines for them are commented out, so a target left in
    /// the source's `postgresql.auto.conf` cannot combine with ours ("multiple recovery targets").
    static let ownedSettings: Set<String> = [
        "restore_command", "recovery_target", "recovery_target_time", "recovery_target_lsn",
        "recovery_target_name", "recovery_target_xid", "recovery_target_inclusive",
        "recovery_target_timeline", "recovery_target_action",
    ]

    /// The `restore_command` value (before configuration-file quoting).
    public func restoreCommand() throws -> String {
        try restoreCommandPrefix.map { try Self.shellWord(Self.escapePercent($0)) }.joined(separator: " ") + " %f %p"
    }

    /// `key = 'value'` lines in the order PostgreSQL reads them.
    public func settings() throws -> [(key: String, value: String)] {
        var lines: [(String, String)] = [("restore_command", try restoreCommand())]
        switch target {
        case .time(let time)?: lines.append(("recovery_target_time", time.postgresFormat))
        case .lsn(let lsn)?: lines.append(("recovery_target_lsn", lsn.description))
        case .name(let name)?: lines.append(("recovery_target_name", name))
        case nil: break
        }
        if let timeline { lines.append(("recovery_target_timeline", timeline.description)) }
        if target != nil, let action { lines.append(("recovery_target_action", action.rawValue)) }
        return lines
    }

    /// The new `postgresql.auto.conf`: `existing` with our settings' old lines commented out,
    /// then ours.
    public func autoConf(existing: String, header: String) throws -> String {
        var out = ""
        for line in existing.split(separator: "\n", omittingEmptySubsequences: false).dropLast(existing.hasSuffix("\n") ? 1 : 0) {
            if let key = Self.settingName(line), Self.ownedSettings.contains(key) {
                out += "# \(line)    # replaced by cloud-wal restore\n"
            } else {
                out += line + "\n"
            }
        }
        out += "# \(header)\n"
        for (key, value) in try settings() {
            out += "\(key) = \(try Self.configString(value))\n"
        }
        return out
    }

    /// The setting a configuration line assigns (`name = value` or `name value`), lower-cased.
    static func settingName(_ line: Substring) -> String? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard let first = trimmed.first, first.isLetter || first == "_" else { return nil }
        let name = trimmed.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        return name.lowercased()
    }

    /// A configuration-file string literal: single quotes, `'` doubled, backslash escaped.
    public static func configString(_ value: String) throws -> String {
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw BackupError(.invalidInput, "Control characters cannot go into a PostgreSQL setting: \(value.debugDescription)")
        }
        var out = "'"
        for character in value {
            switch character {
            case "'": out += "''"
            case "\\": out += "\\\\"
            default: out.append(character)
            }
        }
        return out + "'"
    }

    /// `%` escaped for PostgreSQL's `%f`/`%p`/`%r` substitution.
    static func escapePercent(_ text: String) -> String {
        text.replacingAll("%", with: "%%")
    }

    /// One `/bin/sh` word: bare when only safe characters, else single-quoted (`'` as `'\''`).
    public static func shellWord(_ text: String) throws -> String {
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw BackupError(.invalidInput, "Control characters cannot go into restore_command: \(text.debugDescription)")
        }
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")
        if !text.isEmpty, text.allSatisfy({ safe.contains($0) }) { return text }
        return "'" + text.replacingAll("'", with: "'\\''") + "'"
    }
}
