/// How an option is written on the command line, in barman-cloud's spellings. The one source for
/// the CLI's option names, the sidecar's `CLOUD_WAL_<OPTION>` table and the `restore_command`
/// that `restore` writes, so the three cannot drift apart.
public struct OptionSpelling: Sendable, Hashable {
    /// The long name without dashes (`endpoint-url`).
    public let long: String
    public let short: Character?
    /// Further long names of the same option (`--credential` for `--azure-credential`).
    public let longAliases: [String]
    /// Deprecated options that stand for this one and are parsed on their own (`--profile`,
    /// `--tags`).
    public let deprecated: [String]

    public init(_ long: String, short: Character? = nil, longAliases: [String] = [], deprecated: [String] = []) {
        self.long = long
        self.short = short
        self.longAliases = longAliases
        self.deprecated = deprecated
    }

    /// `--endpoint-url`.
    public var flag: String { "--" + long }

    /// Every spelling but `flag`: the short one, the aliases and the deprecated options.
    public var otherSpellings: [String] {
        (short.map { ["-\($0)"] } ?? []) + (longAliases + deprecated).map { "--" + $0 }
    }
}

extension OptionSpelling {
    // Output and connectivity (every command).
    public static let verbose = OptionSpelling("verbose", short: "v")
    public static let quiet = OptionSpelling("quiet", short: "q")
    public static let test = OptionSpelling("test", short: "t")
    public static let version = OptionSpelling("version", short: "V")
    public static let deadline = OptionSpelling("deadline")

    // Reaching the cloud (every command).
    public static let cloudProvider = OptionSpelling("cloud-provider")
    public static let endpointURL = OptionSpelling("endpoint-url")
    public static let awsProfile = OptionSpelling("aws-profile", short: "P", deprecated: [OptionSpelling.profile.long])
    public static let profile = OptionSpelling("profile")
    public static let readTimeout = OptionSpelling("read-timeout")
    public static let addressingStyle = OptionSpelling("addressing-style")
    public static let azureCredential = OptionSpelling("azure-credential", longAliases: ["credential"])

    // Compression (wal-archive, backup).
    public static let gzip = OptionSpelling("gzip", short: "z")
    public static let bzip2 = OptionSpelling("bzip2", short: "j")
    public static let xz = OptionSpelling("xz")
    public static let snappy = OptionSpelling("snappy")
    public static let zstd = OptionSpelling("zstd")
    public static let lz4 = OptionSpelling("lz4")
    public static let compressionLevel = OptionSpelling("compression-level")

    // Tags and how objects are written (wal-archive, backup).
    public static let tag = OptionSpelling("tag", deprecated: [OptionSpelling.tags.long])
    public static let tags = OptionSpelling("tags")
    public static let historyTag = OptionSpelling("history-tag", deprecated: [OptionSpelling.historyTags.long])
    public static let historyTags = OptionSpelling("history-tags")
    public static let encryption = OptionSpelling("encryption", short: "e")
    public static let sseKMSKeyID = OptionSpelling("sse-kms-key-id")
    public static let encryptionScope = OptionSpelling("encryption-scope")
    public static let maxBlockSize = OptionSpelling("max-block-size")
    public static let maxConcurrency = OptionSpelling("max-concurrency")
    public static let maxSinglePutSize = OptionSpelling("max-single-put-size")
    public static let kmsKeyName = OptionSpelling("kms-key-name")

    // Client-side encryption (wal-archive, wal-restore, serve), apart from barman-cloud's
    // server-side `-e/--encryption`.
    public static let encryptionKeyring = OptionSpelling("encryption-keyring")

    // Base backups.
    public static let jobs = OptionSpelling("jobs", short: "J")
    public static let maxArchiveSize = OptionSpelling("max-archive-size", short: "S")
    public static let minChunkSize = OptionSpelling("min-chunk-size")

    // verify (`-j` there: backup's `-J` follows barman-cloud-backup, where `-j` is `--bzip2`).
    public static let verifyJobs = OptionSpelling("jobs", short: "j")
}
