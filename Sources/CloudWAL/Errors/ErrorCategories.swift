// The categories of the library's own errors. Kept in one file so the whole classification can be
// read (and reviewed) at once; each error type still states its category itself.

extension WALErrorKind {
    public var category: FailureCategory {
        switch self {
        case .invalidInput: .input
        case .sourceUnreadable, .destinationFailed: .localFailure
        case .notFound: .notFound
        case .conflict: .conflict
        case .corrupt: .corrupt
        case .storage(let kind): kind.category
        }
    }
}

extension StorageErrorKind {
    /// A storage-level absence that reaches the top (a missing bucket, an object listed a moment
    /// ago and gone) is not "the WAL file is not archived": only the restorer, after looking, says
    /// that (`WALError.notFound`). So it is a remote failure, which a restore reports as 4, not 1.
    public var category: FailureCategory {
        switch self {
        case .notFound, .failed: .remoteFailure
        case .unreachable: .unreachable
        case .accessDenied: .denied
        case .invalidRequest: .input
        }
    }
}

extension BackupErrorKind {
    public var category: FailureCategory {
        switch self {
        case .invalidInput: .input
        case .notFound: .notFound
        case .corrupt: .corrupt
        case .database: .remoteFailure
        case .localIO: .localFailure
        case .refused: .conflict
        }
    }
}

extension HTTPTransportErrorKind {
    public var category: FailureCategory { self == .other ? .remoteFailure : .unreachable }
}

extension CompressionError: CategorizedError {
    /// Raised while decoding stored bytes (or encoding them): what was read is not what was written.
    public var category: FailureCategory { .corrupt }
}

extension TarError: CategorizedError {
    public var category: FailureCategory { .corrupt }
}

extension PythonLiteralError: CategorizedError {
    /// A `backup.info` that does not parse.
    public var category: FailureCategory { .corrupt }
}

extension SystemError: CategorizedError {
    public var category: FailureCategory { .localFailure }
}

extension TimestampError: CategorizedError {
    /// The commands turn a time the user gave into an input error themselves; one that reaches the
    /// top came from PostgreSQL's or a catalog's text.
    public var category: FailureCategory { .remoteFailure }
}

extension EncryptionErrorKind {
    /// A key we do not hold is a credential we lack (`denied`: restore 4, never "not found");
    /// a format from a newer cloud-wal is stored bytes we cannot read (`corrupt`).
    public var category: FailureCategory {
        switch self {
        case .keyringInvalid: .input
        case .keyUnavailable: .denied
        case .corrupt, .unsupported: .corrupt
        case .localIO: .localFailure
        }
    }
}
