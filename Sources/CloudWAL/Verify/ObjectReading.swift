/// What reading one stored object (or one tar's parts in a row) gave. A problem in the bytes is
/// recorded here and becomes a finding; a store that cannot be reached ends the whole run instead.
public struct ObjectReading: Sendable, Equatable {
    /// The object read (for a tar read part after part, the part where reading stopped).
    public let key: String
    /// Bytes fetched from the store.
    public let storedBytes: Int
    /// Bytes after decompression.
    public let plainBytes: Int
    /// Lower-case hex SHA-256 of the plain bytes; nil when not computed or reading failed.
    public let sha256: String?
    /// What was wrong with the bytes, one line; nil when they read to the end.
    public let problem: String?

    public init(key: String, storedBytes: Int, plainBytes: Int, sha256: String?, problem: String?) {
        self.key = key
        self.storedBytes = storedBytes
        self.plainBytes = plainBytes
        self.sha256 = sha256
        self.problem = problem
    }
}

/// What reading one stored WAL object gave.
public struct WALReading: Sendable, Equatable {
    public let stored: WALArchiveIndex.Stored
    /// Plain bytes; 0 when reading failed.
    public let size: Int
    public let sha256: String?
    /// Whether a SHA-256 recorded at archive time was there and matched.
    public let checksumRecorded: Bool
    /// The first plain bytes, for the page header check.
    public let firstBytes: [UInt8]
    /// Why the object cannot be trusted (codec, recorded checksum or size), one line.
    public let problem: String?

    public init(
        stored: WALArchiveIndex.Stored, size: Int, sha256: String?, checksumRecorded: Bool, firstBytes: [UInt8],
        problem: String?
    ) {
        self.stored = stored
        self.size = size
        self.sha256 = sha256
        self.checksumRecorded = checksumRecorded
        self.firstBytes = firstBytes
        self.problem = problem
    }
}

enum ReadProblem {
    /// The one-line problem an error while reading stands for; rethrows what says the store
    /// itself cannot be used (unreachable, access denied), which no finding can describe.
    static func describe(_ error: any Error) throws -> String {
        if error is CancellationError { throw error }
        switch FailureCategory(of: error) {
        case .unreachable, .denied: throw error
        default: return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }
}
