extension BaseBackup {
    /// What `backup` (or the sidecar's `/backup-push`) asks of a base backup.
    public struct Configuration: Sendable {
        public var compression: Compression?
        public var compressionLevel: CompressionLevel
        /// Parts uploading at once per tar.
        public var jobs: Int
        /// Split a tar into `_0001`, ... objects once it passes this many stored bytes.
        public var maxArchiveSize: Int
        /// Smallest part; barman's `--min-chunk-size`.
        public var minChunkSize: Int
        public var immediateCheckpoint: Bool
        public var name: String?
        public var tags: [ObjectTag]
        /// Where PGDATA is mounted for us, when that differs from the server's `data_directory`
        /// (a sidecar container sharing the volume at another path). `backup.info` still records
        /// the server's path.
        public var localDataDirectory: String?
        /// Client-side encryption (`--encryption-keyring`): every tar and the manifest stored
        /// encrypted as `<name>.cwenc`; `backup.info` stays plain for the catalog commands.
        public var encryption: (any ObjectKeyProvider)?

        public init(
            compression: Compression? = nil, compressionLevel: CompressionLevel = .medium, jobs: Int = 2,
            maxArchiveSize: Int = 100 << 30, minChunkSize: Int = 5 << 20, immediateCheckpoint: Bool = false,
            name: String? = nil, tags: [ObjectTag] = []
        ) {
            self.compression = compression
            self.compressionLevel = compressionLevel
            self.jobs = jobs
            self.maxArchiveSize = maxArchiveSize
            self.minChunkSize = minChunkSize
            self.immediateCheckpoint = immediateCheckpoint
            self.name = name
            self.tags = tags
        }

        /// The smallest part that lets the largest tar fit S3's 10,000 parts (at least 5 MiB, S3's
        /// minimum), in whole MiB. barman-cloud doubles this; memory is `(jobs + 1)` parts, so we
        /// do not.
        var partSize: Int {
            let needed = (maxArchiveSize + 9_999) / 10_000
            let mebibytes = (max(needed, 5 << 20, minChunkSize) + (1 << 20) - 1) >> 20
            return mebibytes << 20
        }

        /// The limits, checked before anything connects: at most 64 parts in flight, and tars no
        /// larger than S3's 10,000 parts can hold at a sensible part size.
        public func validate() throws {
            guard (1...64).contains(jobs) else {
                throw WALError(.invalidInput, "Invalid \(OptionSpelling.jobs.flag) \(jobs): use 1 to 64")
            }
            guard maxArchiveSize <= 1 << 40 else {
                throw WALError(
                    .invalidInput, "\(OptionSpelling.maxArchiveSize.flag) is at most 1TB (S3 objects hold 10,000 parts)")
            }
        }
    }
}
