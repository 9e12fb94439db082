/// A storage failure, classified by what the caller should do about it.
///
/// The kind decides the exit code (`unreachable` is the "connection failed" code 2, which a restore
/// must never turn into "not found"); the message is one line and never contains a secret.
public typealias StorageError = ClassifiedError<StorageErrorKind>

public enum StorageErrorKind: ErrorKind {
    /// The object (or bucket) does not exist.
    case notFound
    /// The storage could not be reached or did not answer in time: retrying later may work.
    case unreachable
    /// The credentials were refused or lack a permission.
    case accessDenied
    /// The request itself is wrong (bad URL, unsupported option for this backend).
    case invalidRequest
    /// Anything else the storage reported, including local I/O errors of the file backend.
    case failed
}
