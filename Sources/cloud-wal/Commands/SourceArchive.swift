import ArgumentParser

/// The two arguments every command that reads an archive starts with, as barman-cloud names them
/// (`SOURCE_URL SERVER_NAME`).
struct SourceArchive: ParsableArguments {
    @Argument(help: "URL of the archive.")
    var sourceURL: String

    @Argument(help: "The name of the PostgreSQL server, used as a folder in the archive.")
    var serverName: String

    /// The archive as the restore spool names it: `wal-restore` and the prefetcher it starts
    /// must name it alike, or neither finds the other's segments.
    var spoolIdentity: String { "\(sourceURL) \(serverName)" }
}
