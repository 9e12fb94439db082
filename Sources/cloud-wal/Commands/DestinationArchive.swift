import ArgumentParser

/// The two arguments every command that writes to an archive (or checks it before writing) starts
/// with, as barman-cloud names them (`DESTINATION_URL SERVER_NAME`).
struct DestinationArchive: ParsableArguments {
    @Argument(help: "URL of the archive: file:///dir, s3://bucket/path, gs://bucket/path, https://account.blob.core.windows.net/container/path")
    var destinationURL: String

    @Argument(help: "The name of the PostgreSQL server, used as a folder in the archive.")
    var serverName: String
}
