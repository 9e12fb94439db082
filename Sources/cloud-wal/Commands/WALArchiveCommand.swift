import ArgumentParser
import CloudWAL
import Logging

/// `cloud-wal wal-archive`, also `cloud-wal-archive` and `barman-cloud-wal-archive`.
struct WALArchiveCommand: CloudCommand {
    static let exitKind = ExitStatus.Command.archive
    static let configuration = CommandConfiguration(
        commandName: "wal-archive",
        abstract: "Archive a PostgreSQL WAL file (archive_command).",
        discussion: """
            Exit status: 0 archived (or already archived with the same content), 1 not archived, \
            2 cannot connect to the storage, 3 bad input.
            """)

    @OptionGroup var options: ArchiveOptions

    var overallDeadline: Duration? { options.common.overallDeadline(byDefault: true) }

    @OptionGroup var destination: DestinationArchive

    @Argument(help: "The WAL file to archive (%p).")
    var walPath: String?

    // Long form only: barman-cloud's wal-archive has no -p, but -P is --aws-profile.
    @Option(
        name: .customLong("parallel"),
        help: "Archive up to N segments per call: the requested one and later ones PostgreSQL has marked ready.")
    var parallel: Int = 1

    @Option(
        name: .customLong("state-dir"),
        help: "Where --parallel remembers segments archived ahead (default \(ArchiveStateDirectory.defaultBaseDirectory)).")
    var stateDir: String = ArchiveStateDirectory.defaultBaseDirectory

    /// ArgumentParser's entry point; `main.swift` calls `execute()` directly (see there).
    func run() async throws {
        try await execute()
    }

    func execute() async throws {
        let logger = options.common.makeLogger()
        guard parallel >= 1 else { throw WALError(.invalidInput, "--parallel must be at least 1") }
        guard !stateDir.isEmpty else { throw WALError(.invalidInput, "--state-dir must not be empty") }
        let plan = try options.plan(destinationURL: destination.destinationURL, serverName: destination.serverName, logger: logger)
        if let walPath, !WALFileName.isValid(FileSystemOps.baseName(of: walPath)) {
            throw WALError(.invalidInput, "\(walPath) is an invalid name for a WAL file")
        }
        if try await options.common.runConnectivityTestIfRequested(plan.archive, logger: logger) { return }
        guard let walPath else {
            throw WALError(.invalidInput, "the following arguments are required: WAL_PATH")
        }
        let archiver = WALArchiver(
            store: plan.archive.store, layout: plan.archive.layout, configuration: plan.archiver, logger: logger)
        guard parallel > 1 else {
            // Plain barman-cloud argv: exactly the one-segment path, no state folder touched.
            _ = try await archiver.archive(walPath: walPath)
            return
        }
        let state = ArchiveStateDirectory(baseDirectory: stateDir, archiveIdentity: "\(destination.destinationURL) \(destination.serverName)")
        _ = try await LookAheadArchiver(archiver: archiver, parallel: parallel, state: state, logger: logger)
            .archive(walPath: walPath)
    }
}
