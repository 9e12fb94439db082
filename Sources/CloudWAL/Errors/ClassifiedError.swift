/// The shape the library's errors share: a kind that says what went wrong (and so, through its
/// category, the exit status and HTTP status) and a one-line message without secrets. An error
/// type is a kind enum plus this: `typealias BackupError = ClassifiedError<BackupErrorKind>`.
public struct ClassifiedError<K: ErrorKind>: Error, CustomStringConvertible, Sendable, Equatable {
    public typealias Kind = K

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// What a `ClassifiedError`'s kind must say: its category.
public protocol ErrorKind: Sendable, Equatable {
    var category: FailureCategory { get }
}

extension ClassifiedError: CategorizedError {
    public var category: FailureCategory { kind.category }
}
