import ArgumentParser
import CloudWAL
import Logging

/// `cloud-wal wal-prefetch` (hidden): the background prefetcher `wal-restore -p N` starts.
///
/// Takes `wal-restore`'s options (the same store, credentials from the inherited environment,
/// `--read-timeout`, the spool) and runs `SpoolPrefetcher` until it has nothing more to do. Run
/// in the data directory, as the call was, so segments are checked against its cluster. Its
/// output goes nowhere (the call that started it has ended); it always exits 0, because no one
/// reads its status and every failure it meets is met again, and reported, by the calls.
struct WALPrefetchCommand: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-prefetch",
        abstract: "Keep the segments after the newest wal-restore request in the spool (started by wal-restore -p).",
        shouldDisplay: false)

    @OptionGroup var common: CommonOptions

    @OptionGroup var encryption: EncryptionOptions

    @OptionGroup var source: SourceArchive

    @Option(name: [.customShort("p"), .customLong("parallel")], help: "The requested segment plus N-1 ahead.")
    var parallel: Int

    @Option(name: .customLong("spool-dir"), help: "The spool's base directory (as given to wal-restore).")
    var spoolDir: String

    @Option(name: .customLong("idle-seconds"), help: "Exit after this long without a new request.")
    var idleSeconds: Int = 60

    func run() async throws {
        try await execute()
    }

    func execute() async throws {
        let logger = common.makeLogger()
        guard parallel > 1, idleSeconds > 0 else { return }
        let archive = try common.openArchive(
            url: source.sourceURL, serverName: source.serverName, cloud: common.cloudOptions(logger: logger))
        let spool = WALSpool(baseDirectory: spoolDir, archiveIdentity: source.spoolIdentity, parallel: parallel)
        let restorer = WALRestorer(
            store: archive.store, layout: archive.layout, spool: spool,
            prefetchStallLimit: .seconds(common.readTimeout), keys: try encryption.keyring(), logger: logger)
        guard let prefetcher = SpoolPrefetcher(restorer: restorer, idleLimit: .seconds(idleSeconds)) else { return }
        _ = await prefetcher.run()
    }
}
