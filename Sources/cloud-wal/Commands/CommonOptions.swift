import ArgumentParser
import CloudWAL
import Logging

extension CloudProvider: ExpressibleByArgument {}
extension CloudOptions.ServerSideEncryption: ExpressibleByArgument {}
extension CloudOptions.AzureCredential: ExpressibleByArgument {}

extension S3Configuration.AddressingStyle: ExpressibleByArgument {}

/// The options every barman-cloud command shares (`cloud_cli.py`), with barman-cloud's spellings.
struct CommonOptions: ParsableArguments {
    @Flag(name: .spelled(.verbose), help: "More output; repeat for more.")
    var verbose: Int

    @Flag(name: .spelled(.quiet), help: "Less output; repeat for less.")
    var quiet: Int

    @Flag(name: .spelled(.test), help: "Test cloud connectivity and exit.")
    var test = false

    /// Answered in main.swift before parsing (barman-cloud prints it even without the required
    /// arguments); declared here so every command's help lists it.
    @Flag(name: .spelled(.version), help: "Show the version and exit.")
    var version = false

    @Option(name: .spelled(.cloudProvider), help: "The cloud provider (default: from the URL; aws-s3 for s3://).")
    var cloudProvider: CloudProvider?

    @Option(name: .spelled(.endpointURL), help: "Override the S3 endpoint, e.g. for an S3-compatible store.")
    var endpointURL: String?

    @Option(name: .spelled(.awsProfile), help: "The AWS profile to use.")
    var awsProfile: String?

    @Option(name: .spelled(.profile), help: "Deprecated alias of --aws-profile.")
    var profile: String?

    @Option(name: .spelled(.readTimeout), help: "Seconds to wait for data from S3 (default 60).")
    var readTimeout: Int = 60

    @Option(
        name: .spelled(.deadline),
        help: "Give up after this many seconds in all, with the 'unreachable' exit status (default: 10 x --read-timeout, at least 300, for wal-archive and wal-restore; none for other commands; 0: none).")
    var deadline: Int?

    @Option(name: .spelled(.addressingStyle), help: "S3 addressing style: auto, virtual or path.")
    var addressingStyle: S3Configuration.AddressingStyle?

    @Option(
        name: .spelled(.azureCredential),
        help: "Azure credential: azure-cli, managed-identity or default.")
    var azureCredential: CloudOptions.AzureCredential?

    func validate() throws {
        if let deadline, deadline < 0 {
            throw ValidationError("--deadline must be 0 (none) or a positive number of seconds")
        }
    }

    /// The command's overall deadline: `--deadline`, else `byDefault`'s (for the WAL commands,
    /// which PostgreSQL runs and waits for, and which must never hang).
    func overallDeadline(byDefault: Bool) -> Duration? {
        if let deadline { return deadline > 0 ? .seconds(deadline) : nil }
        return byDefault ? .seconds(max(300, 10 * readTimeout)) : nil
    }

    var logLevel: Logger.Level { StderrLogHandler.level(verbose: verbose, quiet: quiet) }

    func makeLogger() -> Logger {
        let level = logLevel
        return Logger(label: "cloud-wal") { StderrLogHandler(label: $0, level: level) }
    }

    /// The shared part of `CloudOptions`; commands add their own fields before validating.
    func cloudOptions(logger: Logger) -> CloudOptions {
        var options = CloudOptions()
        options.provider = cloudProvider
        options.endpointURL = endpointURL
        if profile != nil, awsProfile == nil {
            logger.warning("--profile is deprecated, use -P/--aws-profile")
        }
        options.awsProfile = awsProfile ?? profile
        options.readTimeoutSeconds = readTimeout
        options.addressingStyle = addressingStyle ?? .auto
        options.azureCredential = azureCredential
        return options
    }

    /// Opens the archive a command names, once every option has been validated.
    func openArchive(url text: String, serverName: String, cloud: CloudOptions) throws -> OpenedArchive {
        try cloud.validate()
        let url = try StorageURL(parsing: text, provider: cloudProvider)
        let layout = try ArchiveLayout(prefix: url.prefix, serverName: serverName)
        return OpenedArchive(url: url, layout: layout, store: try StoreFactory.makeStore(for: url, options: cloud))
    }

    /// Runs `-t/--test` when it was given; `true` means the command is done.
    func runConnectivityTestIfRequested(_ archive: OpenedArchive, logger: Logger) async throws -> Bool {
        guard test else { return false }
        try await ConnectivityTest.run(store: archive.store, url: archive.url, logger: logger)
        return true
    }
}

/// An archive location resolved from the command line.
struct OpenedArchive {
    let url: StorageURL
    let layout: ArchiveLayout
    let store: any ObjectStore
}
