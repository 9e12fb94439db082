import ArgumentParser
import CloudWAL
import Logging

/// Everything `wal-archive` can be told about how and where to archive: the shared cloud
/// options plus compression, tags, the store's encryption and our own (`--encryption-keyring`). `cloud-wal serve` takes the same group, so the
/// sidecar archives exactly as the CLI would with the same options.
struct ArchiveOptions: ParsableArguments {
    @OptionGroup var common: CommonOptions

    @OptionGroup var compression: CompressionOptions
    @OptionGroup var tagging: TagOptions

    @Option(name: .spelled(.historyTags), parsing: .upToNextOption, help: "Deprecated: tags for .history files.")
    var historyTags: [String] = []

    @Option(name: .spelled(.historyTag), help: "A tag KEY,VALUE replacing --tag on .history files (repeatable).")
    var historyTag: [String] = []

    @OptionGroup var writing: StorageWriteOptions

    @OptionGroup var encryption: EncryptionOptions

    /// Everything the command line decides, checked before any file or network is touched.
    func plan(destinationURL: String, serverName: String, logger: Logger) throws
        -> (archive: OpenedArchive, archiver: WALArchiver.Configuration)
    {
        var configuration = WALArchiver.Configuration(compression: try compression.compression())
        configuration.compressionLevel = try compression.level()
        configuration.tags = try tagging.parsed()
        guard historyTag.isEmpty || historyTags.isEmpty else {
            throw WALError(.invalidInput, "--history-tag and --history-tags cannot be used together")
        }
        configuration.historyTags = try historyTag.map(TagParser.parsePair) + historyTags.map(TagParser.parseCSV)
        configuration.encryption = try encryption.keyring()

        var cloud = common.cloudOptions(logger: logger)
        try writing.apply(to: &cloud)
        let archive = try common.openArchive(url: destinationURL, serverName: serverName, cloud: cloud)
        return (archive, configuration)
    }
}
