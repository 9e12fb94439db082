import ArgumentParser

/// The two arguments every command that reads an archive starts with, as barman-cloud names them
/// (`SOURCE_URL SERVER_NAME`).
struct SourceArchive: ParsableArguments {
    @Argument(help: "URL of the archive.")
    var sourceURL: String

    @Argument(help: "The name of the PostgreSQL server, used as a folder in the archive.")
    var serverName: String
}
