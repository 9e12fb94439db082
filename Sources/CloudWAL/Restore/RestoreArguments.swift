/// `restore`'s command line as given, turned into a `RestoreRequest` here so the executable only
/// parses: at most one target, a target action only with a `--recovery-target-*`, timelines,
/// LSNs, times and tablespace rules checked, and the `restore_command` to write built from the
/// same archive and cloud options.
public struct RestoreArguments: Sendable {
    public var sourceURL: String
    public var serverName: String
    public var backupID: String
    public var recoveryDirectory: String
    public var cloud: CloudOptions
    /// `--tablespace NAME:LOCATION` rules.
    public var tablespaceRules: [String] = []
    /// `--target-tli`.
    public var targetTimeline: String?
    /// `--target-time` and `--target-lsn`: choose the backup only.
    public var targetTime: String?
    public var targetLSN: String?
    /// `--recovery-target-*`: choose the backup and write the target.
    public var recoveryTargetTime: String?
    public var recoveryTargetLSN: String?
    public var recoveryTargetName: String?
    public var recoveryTargetAction: RecoveryTargetAction?
    /// `--recovery-conf`: write recovery settings even without a target.
    public var writeRecoveryConfig = false
    /// `--encryption-keyring`: the keyring the written `restore_command` passes to `wal-restore`,
    /// for WAL archived with encryption. Only its path: PostgreSQL's user reads it at recovery.
    public var encryptionKeyring: String?

    public init(sourceURL: String, serverName: String, backupID: String, recoveryDirectory: String, cloud: CloudOptions) {
        self.sourceURL = sourceURL
        self.serverName = serverName
        self.backupID = backupID
        self.recoveryDirectory = recoveryDirectory
        self.cloud = cloud
    }
}

extension RestoreRequest {
    /// The request `arguments` ask for; every refusal is an input error, raised before anything
    /// is read or downloaded.
    public init(_ arguments: RestoreArguments) throws {
        let targets = [
            arguments.targetTime, arguments.targetLSN, arguments.recoveryTargetTime, arguments.recoveryTargetLSN,
            arguments.recoveryTargetName,
        ].compactMap { $0 }
        guard targets.count <= 1 else {
            throw BackupError(.invalidInput, "Give at most one of --target-time, --target-lsn and --recovery-target-*")
        }
        let writesTarget =
            arguments.recoveryTargetTime != nil || arguments.recoveryTargetLSN != nil || arguments.recoveryTargetName != nil
        if arguments.recoveryTargetAction != nil, !writesTarget {
            throw BackupError(.invalidInput, "--recovery-target-action needs a --recovery-target-* option")
        }
        let timeline = try arguments.targetTimeline.map { text -> TimelineTarget in
            guard let value = TimelineTarget(text) else {
                throw BackupError(.invalidInput, "'\(text)' is not a valid timeline: use a positive number, current or latest")
            }
            return value
        }
        var criterion = BackupAutoSelection.Criterion.latest
        var recoveryTarget: RecoveryTarget?
        if let text = arguments.recoveryTargetTime ?? arguments.targetTime {
            let time = try Self.parseTime(text)
            criterion = .time(time)
            if arguments.recoveryTargetTime != nil { recoveryTarget = .time(time) }
        }
        if let text = arguments.recoveryTargetLSN ?? arguments.targetLSN {
            guard let lsn = LSN(text) else { throw BackupError(.invalidInput, "'\(text)' is not an LSN (expected X/X in hex)") }
            criterion = .lsn(lsn)
            if arguments.recoveryTargetLSN != nil { recoveryTarget = .lsn(lsn) }
        }
        if let name = arguments.recoveryTargetName {
            guard !name.isEmpty else { throw BackupError(.invalidInput, "--recovery-target-name must not be empty") }
            recoveryTarget = .name(name)
        }

        var config: RecoveryConfig?
        if recoveryTarget != nil || arguments.writeRecoveryConfig {
            config = RecoveryConfig(
                restoreCommandPrefix: [try FileSystemOps.runningExecutablePath(), "wal-restore"]
                    + arguments.cloud.reachingArguments
                    + (arguments.encryptionKeyring.map { [OptionSpelling.encryptionKeyring.flag, $0] } ?? [])
                    + [arguments.sourceURL, arguments.serverName],
                target: recoveryTarget, timeline: timeline,
                action: recoveryTarget == nil ? nil : (arguments.recoveryTargetAction ?? .pause))
            // Fail now, not after the download, if a value cannot be written.
            _ = try config?.settings()
        }
        self.init(
            backupID: arguments.backupID, recoveryDirectory: arguments.recoveryDirectory,
            tablespaceLocations: try Self.tablespaceMap(arguments.tablespaceRules),
            autoCriterion: criterion, autoTimeline: timeline, recoveryConfig: config)
    }

    /// `--tablespace NAME:LOCATION` rules, split at the first colon as barman-cloud does.
    static func tablespaceMap(_ rules: [String]) throws -> [String: String] {
        var map: [String: String] = [:]
        for rule in rules {
            guard let colon = rule.firstIndex(of: ":"), colon != rule.startIndex,
                !rule[rule.index(after: colon)...].isEmpty
            else {
                throw BackupError(.invalidInput, "Invalid tablespace relocation rule '\(rule)': use NAME:LOCATION")
            }
            map[String(rule[..<colon])] = String(rule[rule.index(after: colon)...])
        }
        return map
    }

    static func parseTime(_ text: String) throws -> Timestamp {
        do { return try Timestamp(parsing: text) } catch let error as TimestampError {
            throw BackupError(.invalidInput, error.description)
        }
    }
}
