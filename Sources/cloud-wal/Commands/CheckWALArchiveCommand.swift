import ArgumentParser
import CloudWAL

/// `cloud-wal check-wal-archive`, also `cloud-check-wal-archive` and `barman-cloud-check-wal-archive`.
struct CheckWALArchiveCommand: CloudCommand {
    static let exitKind = ExitStatus.Command.catalog
    static let configuration = CommandConfiguration(
        commandName: "check-wal-archive",
        abstract: "Check that a new PostgreSQL server can safely archive WAL into this location.",
        discussion: """
            Without --timeline the archive must hold no WAL at all; with --timeline N it must hold \
            nothing on timeline N or later. A bucket (or file:// directory) that does not exist \
            passes and is not created. Exit status: 0 usable, 1 WAL found, 2 cannot connect to \
            the storage, 3 bad input, 4 any other failure.
            """)

    @OptionGroup var common: CommonOptions

    var overallDeadline: Duration? { common.overallDeadline(byDefault: false) }

    @OptionGroup var destination: DestinationArchive

    @Option(name: .customLong("timeline"), help: "The earliest timeline whose WAL makes the check fail.")
    var timeline: Int?

    func validate() throws {
        if let timeline, timeline < 1 {
            throw ValidationError("'\(timeline)' is not a valid positive integer")
        }
    }

    func execute() async throws {
        let logger = common.makeLogger()
        let archive = try common.openArchive(
            url: destination.destinationURL, serverName: destination.serverName, cloud: common.cloudOptions(logger: logger))
        // As barman-cloud: -t asks only whether the storage answers, not whether the bucket exists.
        if common.test {
            _ = try await archive.store.checkBucket()
            return
        }
        switch try await WALArchiveCheck.run(store: archive.store, layout: archive.layout, timeline: timeline) {
        case .locationMissing:
            logger.warning("\(archive.url) does not exist: it holds no WAL (cloud-wal does not create it)")
        case let .usable(walCount):
            logger.info("WAL archive for server \(destination.serverName) is usable (\(walCount) WAL files on earlier timelines)")
        }
    }
}
