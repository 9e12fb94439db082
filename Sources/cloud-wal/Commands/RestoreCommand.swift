import ArgumentParser
import CloudWAL
import Logging

#if canImport(Glibc)
import Glibc
#endif

extension RecoveryTargetAction: ExpressibleByArgument {}

/// `cloud-wal restore`, also `cloud-restore` and `barman-cloud-restore`: unpacks a base backup
/// and, beyond barman-cloud, can configure the result to recover to a target by itself.
struct RestoreCommand: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a base backup from the archive into a new data directory.",
        discussion: """
            BACKUP_ID is a backup id, latest/last, oldest/first, a backup name, or auto (the newest \
            DONE backup that ended before the target, or the newest without a target). \
            With a --recovery-target-* option or --recovery-conf, recovery.signal and a restore_command \
            calling this binary's wal-restore (with the same URL, server and cloud options) are \
            written, so PostgreSQL recovers with no hand edits; credentials must reach PostgreSQL's \
            environment as they reach this command. --recovery-target-action defaults to pause, as in \
            PostgreSQL: check the data, then pg_wal_replay_resume() or restart with promote. \
            Exit status: 0 restored, 1 failure (destination not empty, unknown backup, corrupt data), \
            2 cannot connect, 3 bad input.
            """)

    @OptionGroup var common: CommonOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: false) }

    @Argument(help: "URL of the archive.")
    var sourceURL: String

    @Argument(help: "The name of the PostgreSQL server, used as a folder in the archive.")
    var serverName: String

    @Argument(help: "The backup to restore: an id, latest, oldest, a name, or auto.")
    var backupID: String

    @Argument(help: "The directory to restore into (must be empty or absent).")
    var recoveryDir: String

    @Option(name: .customLong("tablespace"), help: ArgumentHelp("Restore a tablespace elsewhere.", valueName: "NAME:LOCATION"))
    var tablespace: [String] = []

    @Option(name: .customLong("target-tli"), help: "Target timeline: a number, current or latest.")
    var targetTLI: String?

    @Option(name: .customLong("target-lsn"), help: "Choose the backup (auto) for this LSN; writes no recovery settings.")
    var targetLSN: String?

    @Option(name: .customLong("target-time"), help: "Choose the backup (auto) for this time; writes no recovery settings.")
    var targetTime: String?

    @Option(name: .customLong("recovery-target-time"), help: "Recover up to this time (written as recovery_target_time).")
    var recoveryTargetTime: String?

    @Option(name: .customLong("recovery-target-lsn"), help: "Recover up to this LSN (recovery_target_lsn).")
    var recoveryTargetLSN: String?

    @Option(name: .customLong("recovery-target-name"), help: "Recover up to this restore point (recovery_target_name).")
    var recoveryTargetName: String?

    @Option(name: .customLong("recovery-target-action"), help: "pause (default), promote or shutdown when the target is reached.")
    var recoveryTargetAction: RecoveryTargetAction?

    @Flag(
        name: [.customLong("recovery-conf"), .customLong("write-recovery-conf")],
        help: "Write recovery.signal and restore_command even without a target (recover to the end of the archive).")
    var recoveryConf = false

    func run() async throws {
        try await execute()
    }

    func execute() async throws {
        let logger = common.makeLogger()
        let request = try makeRequest()
        let archive = try common.openArchive(
            url: sourceURL, serverName: serverName, cloud: common.cloudOptions(logger: logger))
        if try await common.runConnectivityTestIfRequested(archive, logger: logger) { return }
        let restorer = BackupRestorer(store: archive.store, layout: archive.layout, logger: logger)
        let progress: (any RestoreProgress)? = isatty(2) != 0 && common.quiet == 0 ? TerminalProgressLine() : nil
        let outcome = try await restorer.restore(request, progress: progress)
        let verified = outcome.verifiedByManifest ? ", verified against its manifest" : ""
        logger.info("Restored backup \(outcome.backupID): \(outcome.filesWritten) files, \(outcome.tarBytes) bytes\(verified)")
    }

    // MARK: - Options to request

    func makeRequest() throws -> RestoreRequest {
        let targets = [targetTime, targetLSN, recoveryTargetTime, recoveryTargetLSN, recoveryTargetName].compactMap { $0 }
        guard targets.count <= 1 else {
            throw BackupError(.invalidInput, "Give at most one of --target-time, --target-lsn and --recovery-target-*")
        }
        if recoveryTargetAction != nil, recoveryTargetTime == nil, recoveryTargetLSN == nil, recoveryTargetName == nil {
            throw BackupError(.invalidInput, "--recovery-target-action needs a --recovery-target-* option")
        }
        let timeline = try targetTLI.map { text -> TimelineTarget in
            guard let value = TimelineTarget(text) else {
                throw BackupError(.invalidInput, "'\(text)' is not a valid timeline: use a positive number, current or latest")
            }
            return value
        }
        var criterion = BackupAutoSelection.Criterion.latest
        var recoveryTarget: RecoveryTarget?
        if let text = recoveryTargetTime ?? targetTime {
            let time = try Self.parseTime(text)
            criterion = .time(time)
            if recoveryTargetTime != nil { recoveryTarget = .time(time) }
        }
        if let text = recoveryTargetLSN ?? targetLSN {
            guard let lsn = LSN(text) else { throw BackupError(.invalidInput, "'\(text)' is not an LSN (expected X/X in hex)") }
            criterion = .lsn(lsn)
            if recoveryTargetLSN != nil { recoveryTarget = .lsn(lsn) }
        }
        if let name = recoveryTargetName {
            guard !name.isEmpty else { throw BackupError(.invalidInput, "--recovery-target-name must not be empty") }
            recoveryTarget = .name(name)
        }

        var config: RecoveryConfig?
        if recoveryTarget != nil || recoveryConf {
            config = RecoveryConfig(
                restoreCommandPrefix: [try Self.executablePath(), "wal-restore"] + walRestoreOptions()
                    + [sourceURL, serverName],
                target: recoveryTarget, timeline: timeline,
                action: recoveryTarget == nil ? nil : (recoveryTargetAction ?? .pause))
            // Fail now, not after the download, if a value cannot be written.
            _ = try config?.settings()
        }
        return RestoreRequest(
            backupID: backupID, recoveryDirectory: recoveryDir, tablespaceLocations: try tablespaceMap(),
            autoCriterion: criterion, autoTimeline: timeline, recoveryConfig: config)
    }

    /// `--tablespace NAME:LOCATION` rules, split at the first colon as barman-cloud does.
    func tablespaceMap() throws -> [String: String] {
        var map: [String: String] = [:]
        for rule in tablespace {
            guard let colon = rule.firstIndex(of: ":"), colon != rule.startIndex,
                !rule[rule.index(after: colon)...].isEmpty
            else {
                throw BackupError(.invalidInput, "Invalid tablespace relocation rule '\(rule)': use NAME:LOCATION")
            }
            map[String(rule[..<colon])] = String(rule[rule.index(after: colon)...])
        }
        return map
    }

    /// The cloud options wal-restore needs to reach the same archive the same way.
    func walRestoreOptions() -> [String] {
        var options: [String] = []
        if let provider = common.cloudProvider { options += ["--cloud-provider", provider.rawValue] }
        if let endpoint = common.endpointURL { options += ["--endpoint-url", endpoint] }
        if let profile = common.awsProfile ?? common.profile { options += ["--aws-profile", profile] }
        if common.readTimeout != 60 { options += ["--read-timeout", String(common.readTimeout)] }
        if let style = common.addressingStyle { options += ["--addressing-style", style.rawValue] }
        if let credential = common.azureCredential { options += ["--azure-credential", credential.rawValue] }
        return options
    }

    static func parseTime(_ text: String) throws -> Timestamp {
        do { return try Timestamp(parsing: text) } catch let error as TimestampError {
            throw BackupError(.invalidInput, error.description)
        }
    }

    /// The running binary, absolute: PostgreSQL runs restore_command with its own PATH and cwd.
    static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if count > 0 {
            return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let argv0 = CommandLine.arguments.first ?? ""
        guard argv0.hasPrefix("/") else {
            throw BackupError(.invalidInput, "Cannot find the path of the running binary for restore_command")
        }
        return argv0
    }
}
