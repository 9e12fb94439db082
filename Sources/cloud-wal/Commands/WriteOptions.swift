import ArgumentParser
import CloudWAL
import Logging

/// The compression flags of barman-cloud's writing commands (wal-archive, backup).
struct CompressionOptions: ParsableArguments {
    @Flag(name: .spelled(.gzip), help: "Compress with gzip.") var gzip = false
    @Flag(name: .spelled(.bzip2), help: "Compress with bzip2.") var bzip2 = false
    @Flag(name: .spelled(.xz), help: "Compress with xz.") var xz = false
    @Flag(name: .spelled(.snappy), help: "Compress with snappy (framing format).") var snappy = false
    @Flag(name: .spelled(.zstd), help: "Compress with zstd.") var zstd = false
    @Flag(name: .spelled(.lz4), help: "Compress with lz4 (frame format).") var lz4 = false

    @Option(name: .spelled(.compressionLevel), help: "low, medium (default), high, or a number for the codec.")
    var compressionLevel: String?

    /// The one compression chosen, if any; two flags are an input error.
    func compression() throws -> Compression? {
        let chosen: [(Bool, Compression)] = [
            (gzip, .gzip), (bzip2, .bzip2), (xz, .xz), (snappy, .snappy), (zstd, .zstd), (lz4, .lz4),
        ]
        let compressions = chosen.filter(\.0).map(\.1)
        guard compressions.count <= 1 else {
            throw WALError(
                .invalidInput,
                "Choose one compression, not \(compressions.map(\.rawValue).joined(separator: " and "))")
        }
        return compressions.first
    }

    func level() throws -> CompressionLevel {
        guard let compressionLevel else { return .medium }
        guard let level = CompressionLevel(argument: compressionLevel) else {
            throw WALError(.invalidInput, "Invalid --compression-level '\(compressionLevel)': use low, medium, high or a number")
        }
        return level
    }
}

/// Options that shape how objects are written in each cloud: encryption and Azure block sizes.
struct StorageWriteOptions: ParsableArguments {
    @Option(name: .spelled(.encryption), help: "S3 server-side encryption: AES256 or aws:kms.")
    var encryption: CloudOptions.ServerSideEncryption?

    @Option(name: .spelled(.sseKMSKeyID), help: "The KMS key for -e aws:kms.")
    var sseKMSKeyID: String?

    @Option(name: .spelled(.encryptionScope), help: "Azure encryption scope for written blobs.")
    var encryptionScope: String?

    @Option(name: .spelled(.maxBlockSize), help: "Azure block size (default 4MB).")
    var maxBlockSize: String = "4MB"

    @Option(name: .spelled(.maxConcurrency), help: "Azure concurrent block uploads (default 1).")
    var maxConcurrency: Int = 1

    @Option(name: .spelled(.maxSinglePutSize), help: "Azure size above which blocks are used (default 64MB).")
    var maxSinglePutSize: String = "64MB"

    @Option(name: .spelled(.kmsKeyName), help: "Google Cloud KMS key for written objects.")
    var kmsKeyName: String?

    func apply(to cloud: inout CloudOptions) throws {
        cloud.encryption = encryption
        cloud.sseKMSKeyID = sseKMSKeyID
        cloud.encryptionScope = encryptionScope
        cloud.maxBlockSize = try SizeParser.parse(maxBlockSize)
        cloud.maxSinglePutSize = try SizeParser.parse(maxSinglePutSize)
        cloud.maxConcurrency = maxConcurrency
        cloud.kmsKeyName = kmsKeyName
    }
}

/// `--tag KEY,VALUE` (repeatable) or the deprecated `--tags KV ...`, never both.
struct TagOptions: ParsableArguments {
    @Option(name: .spelled(.tags), parsing: .upToNextOption, help: "Deprecated: tags as KEY,VALUE items.")
    var tags: [String] = []

    @Option(name: .spelled(.tag), help: "A tag KEY,VALUE for every written object (repeatable).")
    var tag: [String] = []

    func parsed() throws -> [ObjectTag] {
        guard tag.isEmpty || tags.isEmpty else {
            throw WALError(.invalidInput, "--tag and --tags cannot be used together")
        }
        return try tag.map(TagParser.parsePair) + tags.map(TagParser.parseCSV)
    }
}
