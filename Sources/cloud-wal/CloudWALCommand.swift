import ArgumentParser

/// `cloud-wal <command>`: the umbrella for every command.
struct CloudWALCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloud-wal",
        abstract: "Keep PostgreSQL WAL safe in object storage; a drop-in for barman-cloud.",
        subcommands: [WALArchiveCommand.self, WALRestoreCommand.self, ServeCommand.self])
}

enum Version {
    static let string = "0.1.0"
}
