import ArgumentParser
import CloudWAL

/// `cloud-wal <command>`: the umbrella for every command.
struct CloudWALCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloud-wal",
        abstract: "Keep PostgreSQL WAL safe in object storage; a drop-in for barman-cloud.",
        subcommands: commands)

    /// Answered in main.swift before parsing; declared so the help lists it.
    @Flag(name: .spelled(.version), help: "Show the version and exit.")
    var version = false

    /// Every command, each also reachable through a `cloud-<name>` / `barman-cloud-<name>` link.
    static let commands: [any CloudCommand.Type] = [
        WALArchiveCommand.self,
        WALRestoreCommand.self,
        BackupCommand.self,
        RestoreCommand.self,
        BackupListCommand.self,
        BackupShowCommand.self,
        BackupKeepCommand.self,
        BackupDeleteCommand.self,
        CheckWALArchiveCommand.self,
        ServeCommand.self,
        WALPrefetchCommand.self,
        VerifyCommand.self,
        KeyringCommand.self,
    ]
}

/// A command main.swift can run and whose errors ExitStatus maps.
protocol CloudCommand: AsyncParsableCommand {
    /// Which exit-code contract the command follows.
    static var exitKind: ExitStatus.Command { get }
    /// Past this the process ends with the "unreachable" status, whatever it is waiting for.
    var overallDeadline: Duration? { get }
    func execute() async throws
}

extension CloudCommand {
    static var exitKind: ExitStatus.Command { .other }
    var overallDeadline: Duration? { nil }

    /// ArgumentParser's entry point; `main.swift` calls `execute()` directly (through the
    /// existential, Swift would pick ParsableCommand's synchronous `run()`).
    func run() async throws {
        try await execute()
    }
}

enum Version {
    static let string = "0.1.0"
}
